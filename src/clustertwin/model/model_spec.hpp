#pragma once
// A transformer architecture, as read from a HuggingFace config.json.
#include <cstdint>
#include <compare>
#include <string>
#include <vector>

namespace ct {

enum class MlpKind { Gelu, SwiGlu, ReluSquared };  // SwiGlu = gated (three matrices)
enum class NormKind { LayerNorm, RmsNorm };
enum class PositionKind { Rope, Alibi, Learned };

// Mixture of experts (Fedus et al. 2021; DeepSeek-V3): a router picks top_k of num_experts
// SwiGLU experts per token; shared experts see every token.
struct MoeSpec {
  int num_experts = 0;  // routed experts; 0 = dense model
  int top_k = 0;
  std::int64_t expert_ffn_hidden = 0;
  std::int64_t shared_ffn_hidden = 0;  // intermediate size of the shared expert(s), summed; 0 = none
  bool gated = true;                   // SwiGLU experts (false: squared-ReLU, as Nemotron-H)
  std::int64_t latent_size = 0;        // latent MoE: routed experts work in this width (0 = hidden)
  bool enabled() const { return num_experts > 0; }
};

// Multi-head latent attention (DeepSeek-V2/V3): low-rank Q and KV projections.
struct MlaSpec {
  std::int64_t q_lora_rank = 0;  // 0: Q projected directly from the hidden state
  std::int64_t kv_lora_rank = 0;
  std::int64_t qk_nope_head_dim = 0, qk_rope_head_dim = 0, v_head_dim = 0;
  bool enabled() const { return kv_lora_rank > 0; }
};

// Mamba-2 state-space mixer (Dao & Gu 2024), as in hybrid models (Nemotron-H).
struct MambaSpec {
  std::int64_t heads = 0, head_dim = 0, state = 0, groups = 1, conv_kernel = 4, chunk = 256;
  std::int64_t inner() const { return heads * head_dim; }
};

enum class MixerKind : std::uint8_t { Attention, Mamba, None };
enum class FfnKind : std::uint8_t { Dense, Moe, None };

// One layer of the stack: its token mixer and its feed-forward part (a Llama layer is
// Attention + Dense; Nemotron-H splits them into separate layers).
struct LayerSpec {
  MixerKind mixer = MixerKind::Attention;
  FfnKind ffn = FfnKind::Dense;
  bool sliding_window = false;  // attention over the last `sliding_window` tokens only
  auto operator<=>(const LayerSpec&) const = default;
};

struct ModelSpec {
  std::string name;
  std::int64_t layers = 0;
  std::int64_t hidden = 0;
  std::int64_t ffn_hidden = 0;
  std::int64_t heads = 0;
  std::int64_t kv_heads = 0;
  std::int64_t head_dim = 0;
  std::int64_t vocab = 0;
  std::int64_t max_seq = 0;
  MlpKind mlp = MlpKind::SwiGlu;
  NormKind norm = NormKind::RmsNorm;
  PositionKind position = PositionKind::Rope;
  bool bias = false;             // linear layers carry biases
  bool tied_embeddings = false;  // LM head shares the input embedding
  bool parallel_attention = false;
  double dropout = 0.0;
  MoeSpec moe;
  MlaSpec mla;
  MambaSpec mamba;
  std::vector<LayerSpec> layer_plan;  // one per layer; empty = every layer Attention + Dense
  std::int64_t sliding_window = 0;
  int mtp_layers = 0;                 // multi-token-prediction modules (DeepSeek-V3)

  std::int64_t q_dim() const { return heads * head_dim; }
  std::int64_t kv_dim() const { return kv_heads * head_dim; }
  bool gated_mlp() const { return mlp == MlpKind::SwiGlu; }
  LayerSpec layer(std::int64_t i) const { return layer_plan.empty() ? LayerSpec{} : layer_plan[i]; }
};

// Throws InputError naming `source` and the field if the architecture is not self-consistent.
void check_model(const ModelSpec& m, const std::string& source);

}  // namespace ct
