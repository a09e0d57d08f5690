#pragma once
// A transformer architecture, as read from a HuggingFace config.json.
#include <cstdint>
#include <string>

namespace ct {

enum class MlpKind { Gelu, SwiGlu, ReluSquared };  // SwiGlu = gated (three matrices)
enum class NormKind { LayerNorm, RmsNorm };
enum class PositionKind { Rope, Alibi, Learned };

struct MoeSpec {
  int num_experts = 0;  // routed experts; 0 = dense model
  int top_k = 0;
  int shared_experts = 0;
  std::int64_t expert_ffn_hidden = 0;
  int first_dense_layers = 0;
  bool enabled() const { return num_experts > 0; }
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

  std::int64_t q_dim() const { return heads * head_dim; }
  std::int64_t kv_dim() const { return kv_heads * head_dim; }
  bool gated_mlp() const { return mlp == MlpKind::SwiGlu; }
};

// Throws InputError naming `source` and the field if the architecture is not self-consistent.
void check_model(const ModelSpec& m, const std::string& source);

}  // namespace ct
