#include "clustertwin/model/hf_config.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "clustertwin/core/error.hpp"
#include "clustertwin/core/number_check.hpp"

namespace ct {
namespace {

using nlohmann::json;

// Upper bounds of a config's sizes: the simulator builds every layer and sizes tensors from these,
// so a typo like 2^31 layers would run for hours or exhaust memory instead of being reported.
struct SizeBound {
  double max;
  std::string why;
};

SizeBound size_bound(const std::string& key) {
  static const std::vector<std::pair<std::vector<std::string>, SizeBound>> kBounds = {
      {{"num_hidden_layers", "n_layer", "n_layers", "num_nextn_predict_layers", "first_k_dense_replace"},
       {4096, "every layer is simulated; published models have a few hundred at most"}},
      {{"hidden_size", "n_embd", "n_embed", "d_model", "intermediate_size", "intermediate_size_mlp", "n_inner",
        "ffn_hidden_size", "moe_intermediate_size", "shared_expert_intermediate_size",
        "moe_shared_expert_intermediate_size", "kv_lora_rank", "q_lora_rank", "moe_latent_size"},
       {1 << 20, "published models are under 64K wide"}},
      {{"num_attention_heads", "n_head", "n_heads", "num_key_value_heads", "num_kv_heads", "n_head_kv",
        "mamba_num_heads", "head_dim", "attention_head_dim", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim",
        "mamba_head_dim", "ssm_state_size", "n_groups", "conv_kernel"},
       {1 << 16, "published models have at most a few hundred heads of a few hundred dimensions"}},
      {{"num_local_experts", "num_experts", "n_routed_experts", "num_experts_per_tok", "experts_per_token",
        "n_shared_experts", "decoder_sparse_step", "interleave_moe_layer_step"},
       {1 << 16, "published models have at most a few hundred experts"}},
      {{"vocab_size"}, {1 << 24, "published vocabularies are under 1M tokens"}},
  };
  for (const auto& [keys, bound] : kBounds)
    if (std::find(keys.begin(), keys.end(), key) != keys.end()) return bound;
  return {kMaxCount, ""};  // anything else must at least fit the simulator's int fields
}

struct Reader {
  const json& j;
  const std::string& file;

  bool has(const char* key) const { return j.contains(key) && !j[key].is_null(); }

  std::int64_t integer(std::initializer_list<const char*> keys) const {
    for (const char* k : keys)
      if (has(k)) return as_int(k);
    std::string names;
    for (const char* k : keys) names += (names.empty() ? "" : " or ") + std::string(k);
    throw InputError(file, names, "missing");
  }
  std::int64_t integer_or(std::initializer_list<const char*> keys, std::int64_t fallback) const {
    for (const char* k : keys)
      if (has(k)) return as_int(k);
    return fallback;
  }
  std::int64_t as_int(const char* k) const {
    const json& v = j[k];
    if (!v.is_number()) throw InputError(file, k, "not an integer");
    // Checked as a double, within bounds far below 2^53: exact, and no cast of an out-of-range value.
    const SizeBound b = size_bound(k);
    const std::string problem = number_problem(v.get<double>(), {0, b.max, true});
    if (!problem.empty()) throw InputError(file, k, b.why.empty() ? problem : problem + " (" + b.why + ")");
    return static_cast<std::int64_t>(v.get<double>());
  }
  double number_or(const char* k, double fallback) const {
    if (!has(k)) return fallback;
    if (!j[k].is_number()) throw InputError(file, k, "not a number");
    return j[k].get<double>();
  }
  bool boolean_or(const char* k, bool fallback) const {
    if (!has(k)) return fallback;
    if (!j[k].is_boolean()) throw InputError(file, k, "not a boolean");
    return j[k].get<bool>();
  }
  std::string string_or(const char* k, const std::string& fallback) const {
    return has(k) && j[k].is_string() ? j[k].get<std::string>() : fallback;
  }
};

MlpKind mlp_from_activation(const std::string& act, const std::string& file) {
  if (act == "silu" || act == "swiglu" || act == "swish") return MlpKind::SwiGlu;
  if (act == "relu2" || act == "squared-relu" || act == "relu_squared") return MlpKind::ReluSquared;
  if (act.rfind("gelu", 0) == 0 || act == "relu") return MlpKind::Gelu;
  throw InputError(file, "hidden_act", "unknown activation '" + act + "'");
}

void read_llama_style(const Reader& r, ModelSpec& m) {
  m.hidden = r.integer({"hidden_size"});
  m.layers = r.integer({"num_hidden_layers"});
  m.heads = r.integer({"num_attention_heads"});
  m.kv_heads = r.integer_or({"num_key_value_heads"}, m.heads);
  m.ffn_hidden = r.integer({"intermediate_size"});
  m.vocab = r.integer({"vocab_size"});
  m.max_seq = r.integer_or({"max_position_embeddings"}, 4096);
  m.head_dim = r.integer_or({"head_dim"}, m.heads ? m.hidden / m.heads : 0);
  m.mlp = mlp_from_activation(r.string_or("hidden_act", "silu"), r.file);
  m.norm = NormKind::RmsNorm;
  m.tied_embeddings = r.boolean_or("tie_word_embeddings", false);
  m.bias = r.boolean_or("attention_bias", false) || r.boolean_or("mlp_bias", false);
  m.dropout = r.number_or("attention_dropout", 0.0);
}

// Routed experts and which layers use them (Mixtral, Qwen3-MoE, DeepSeek-V3, Llama 4, GPT-OSS).
void read_moe(const Reader& r, ModelSpec& m, const std::string& type) {
  m.moe.num_experts = static_cast<int>(r.integer_or({"num_local_experts", "num_experts", "n_routed_experts"}, 0));
  if (!m.moe.enabled()) return;
  m.moe.top_k = static_cast<int>(r.integer({"num_experts_per_tok", "experts_per_token"}));
  if (m.moe.top_k <= 0 || m.moe.top_k > m.moe.num_experts)
    throw InputError(r.file, "num_experts_per_tok", "must be between 1 and the number of experts");
  // Mixtral, GPT-OSS and Llama 4 size experts with intermediate_size; the others have a
  // separate moe_intermediate_size.
  m.moe.expert_ffn_hidden = r.integer_or({"moe_intermediate_size"}, m.ffn_hidden);
  if (type == "llama4_text" || type == "llama4") {
    m.ffn_hidden = r.integer_or({"intermediate_size_mlp"}, m.ffn_hidden);  // dense layers
    m.moe.shared_ffn_hidden = m.moe.expert_ffn_hidden;                    // one shared expert
  }
  // Shared experts: an explicit total size (Nemotron-H, Qwen2-MoE) or n_shared_experts experts.
  const std::int64_t shared = r.integer_or({"moe_shared_expert_intermediate_size", "shared_expert_intermediate_size"}, 0);
  m.moe.shared_ffn_hidden += shared > 0 ? shared : r.integer_or({"n_shared_experts"}, 0) * m.moe.expert_ffn_hidden;
  m.moe.latent_size = r.integer_or({"moe_latent_size"}, 0);
  // Which layers are MoE.
  const std::int64_t first_dense = r.integer_or({"first_k_dense_replace"}, 0);
  const std::int64_t step = r.integer_or({"decoder_sparse_step", "interleave_moe_layer_step"}, 1);
  std::vector<std::int64_t> mlp_only;
  if (r.has("mlp_only_layers") && r.j["mlp_only_layers"].is_array())
    for (const auto& v : r.j["mlp_only_layers"]) {
      if (!v.is_number_integer()) throw InputError(r.file, "mlp_only_layers", "must list layer indices");
      mlp_only.push_back(v.get<std::int64_t>());
    }
  m.layer_plan.assign(m.layers, LayerSpec{});
  for (std::int64_t i = 0; i < m.layers; ++i) {
    const bool dense = i < first_dense || std::find(mlp_only.begin(), mlp_only.end(), i) != mlp_only.end() ||
                       (step > 1 && (i + 1) % step != 0);
    m.layer_plan[i].ffn = dense ? FfnKind::Dense : FfnKind::Moe;
  }
}

void read_mla(const Reader& r, ModelSpec& m) {
  m.mla.kv_lora_rank = r.integer_or({"kv_lora_rank"}, 0);
  if (!m.mla.enabled()) return;
  m.mla.q_lora_rank = r.integer_or({"q_lora_rank"}, 0);
  m.mla.qk_nope_head_dim = r.integer({"qk_nope_head_dim"});
  m.mla.qk_rope_head_dim = r.integer({"qk_rope_head_dim"});
  m.mla.v_head_dim = r.integer({"v_head_dim"});
  m.head_dim = m.mla.qk_nope_head_dim + m.mla.qk_rope_head_dim;
  m.kv_heads = m.heads;  // latent KV expands to one K/V per head
}

// GPT-OSS alternates sliding-window and full attention layers.
void read_sliding_window(const Reader& r, ModelSpec& m) {
  m.sliding_window = r.integer_or({"sliding_window"}, 0);
  if (m.sliding_window <= 0 || !r.has("layer_types") || !r.j["layer_types"].is_array()) return;
  const auto& types = r.j["layer_types"];
  if (static_cast<std::int64_t>(types.size()) != m.layers)
    throw InputError(r.file, "layer_types", "needs one entry per layer");
  if (m.layer_plan.empty()) m.layer_plan.assign(m.layers, LayerSpec{});
  for (std::int64_t i = 0; i < m.layers; ++i)
    m.layer_plan[i].sliding_window = types[i].is_string() && types[i].get<std::string>() == "sliding_attention";
}

// Nemotron-H: one layer per pattern character, M = Mamba-2, * = attention, - = MLP, E = MoE.
void read_hybrid_pattern(const Reader& r, ModelSpec& m) {
  const std::string pattern = r.string_or("hybrid_override_pattern", "");
  if (pattern.empty()) throw InputError(r.file, "hybrid_override_pattern", "missing");
  m.layers = static_cast<std::int64_t>(pattern.size());
  m.layer_plan.clear();
  for (char c : pattern) {
    switch (c) {
      case 'M': m.layer_plan.push_back({MixerKind::Mamba, FfnKind::None}); break;
      case '*': m.layer_plan.push_back({MixerKind::Attention, FfnKind::None}); break;
      case '-': m.layer_plan.push_back({MixerKind::None, FfnKind::Dense}); break;
      case 'E': m.layer_plan.push_back({MixerKind::None, FfnKind::Moe}); break;
      default: throw InputError(r.file, "hybrid_override_pattern", std::string("unknown layer type '") + c + "'");
    }
  }
  m.mamba.heads = r.integer({"mamba_num_heads"});
  m.mamba.head_dim = r.integer({"mamba_head_dim"});
  m.mamba.state = r.integer({"ssm_state_size"});
  m.mamba.groups = r.integer_or({"n_groups"}, 1);
  m.mamba.conv_kernel = r.integer_or({"conv_kernel"}, 4);
  m.mamba.chunk = r.integer_or({"chunk_size"}, 256);
}

ModelSpec from_json(const json& j, const std::string& file) {
  if (!j.is_object()) throw InputError(file, "", "not a JSON object");
  const Reader r{j, file};
  ModelSpec m;
  const std::string type = r.string_or("model_type", "");
  m.name = r.string_or("_name", std::filesystem::path(file).stem().string());
  static const std::vector<std::string> llama_like = {"llama",     "mistral",     "qwen2",     "qwen3",  "nemotron",
                                                       "mixtral",   "qwen3_moe",   "deepseek_v3", "kimi_k2", "gemma",
                                                       "phi3",      "llama4_text", "llama4",    "gpt_oss", "nemotron_h"};
  if (std::find(llama_like.begin(), llama_like.end(), type) != llama_like.end()) {
    // Llama 4 nests the language model's fields in text_config.
    const bool nested = (type == "llama4") && j.contains("text_config") && j["text_config"].is_object();
    const Reader t{nested ? j["text_config"] : j, file};
    if (type == "nemotron_h") {
      m.layers = static_cast<std::int64_t>(t.string_or("hybrid_override_pattern", "").size());
      m.hidden = t.integer({"hidden_size"});
      m.heads = t.integer({"num_attention_heads"});
      m.kv_heads = t.integer_or({"num_key_value_heads"}, m.heads);
      m.ffn_hidden = t.integer_or({"intermediate_size"}, 4 * m.hidden);
      m.vocab = t.integer({"vocab_size"});
      m.max_seq = t.integer_or({"max_position_embeddings"}, 8192);
      m.head_dim = t.integer_or({"head_dim", "attention_head_dim"}, m.hidden / m.heads);
      m.mlp = mlp_from_activation(t.string_or("mlp_hidden_act", "relu2"), file);
      m.tied_embeddings = t.boolean_or("tie_word_embeddings", false);
      m.position = PositionKind::Rope;  // no positional encoding at all; RoPE costs nothing here
      read_hybrid_pattern(t, m);
    } else {
      read_llama_style(t, m);
      read_mla(t, m);
    }
    if (type == "qwen2" || type == "gpt_oss") m.bias = true;  // biases on Q, K, V (GPT-OSS: on all linears)
    if (type == "nemotron") m.norm = NormKind::LayerNorm;
    std::vector<LayerSpec> hybrid = m.layer_plan;
    read_moe(t, m, type);
    if (type == "nemotron_h") {
      m.layer_plan = hybrid;  // the pattern already says which layers are MoE
      m.moe.gated = m.gated_mlp();
    }
    read_sliding_window(t, m);
    m.mtp_layers = static_cast<int>(t.integer_or({"num_nextn_predict_layers"}, 0));
  } else if (type == "gpt2") {
    m.hidden = r.integer({"n_embd", "hidden_size"});
    m.layers = r.integer({"n_layer", "num_hidden_layers"});
    m.heads = r.integer({"n_head", "num_attention_heads"});
    m.kv_heads = m.heads;
    m.ffn_hidden = r.integer_or({"n_inner"}, 4 * m.hidden);
    m.vocab = r.integer({"vocab_size"});
    m.max_seq = r.integer_or({"n_positions", "n_ctx"}, 1024);
    m.mlp = MlpKind::Gelu;
    m.norm = NormKind::LayerNorm;
    m.position = PositionKind::Learned;
    m.bias = true;
    m.tied_embeddings = r.boolean_or("tie_word_embeddings", true);
    m.dropout = r.number_or("attn_pdrop", 0.0);
  } else if (type == "gpt_neox") {
    m.hidden = r.integer({"hidden_size"});
    m.layers = r.integer({"num_hidden_layers"});
    m.heads = r.integer({"num_attention_heads"});
    m.kv_heads = m.heads;
    m.ffn_hidden = r.integer_or({"intermediate_size"}, 4 * m.hidden);
    m.vocab = r.integer({"vocab_size"});
    m.max_seq = r.integer_or({"max_position_embeddings"}, 2048);
    m.mlp = MlpKind::Gelu;
    m.norm = NormKind::LayerNorm;
    m.bias = true;
    m.parallel_attention = r.boolean_or("use_parallel_residual", true);
    m.tied_embeddings = r.boolean_or("tie_word_embeddings", false);
  } else if (type == "mpt") {
    m.hidden = r.integer({"d_model"});
    m.layers = r.integer({"n_layers"});
    m.heads = r.integer({"n_heads"});
    m.kv_heads = m.heads;
    if (j.contains("attn_config") && j["attn_config"].is_object() && j["attn_config"].contains("kv_n_heads"))
      m.kv_heads = j["attn_config"]["kv_n_heads"].get<std::int64_t>();
    m.ffn_hidden = static_cast<std::int64_t>(r.number_or("expansion_ratio", 4.0) * m.hidden);
    m.vocab = r.integer({"vocab_size"});
    m.max_seq = r.integer_or({"max_seq_len"}, 2048);
    m.mlp = MlpKind::Gelu;
    m.norm = NormKind::LayerNorm;
    const bool alibi = j.contains("attn_config") && j["attn_config"].is_object() &&
                       j["attn_config"].value("alibi", false);
    m.position = alibi ? PositionKind::Alibi : (r.boolean_or("learned_pos_emb", true) ? PositionKind::Learned
                                                                                       : PositionKind::Alibi);
    m.bias = !r.boolean_or("no_bias", true);
    m.tied_embeddings = true;
  } else if (type == "bloom") {
    m.hidden = r.integer({"hidden_size", "n_embed"});
    m.layers = r.integer({"n_layer", "num_hidden_layers"});
    m.heads = r.integer({"n_head", "num_attention_heads"});
    m.kv_heads = m.heads;
    m.ffn_hidden = 4 * m.hidden;
    m.vocab = r.integer({"vocab_size"});
    m.max_seq = r.integer_or({"seq_length", "max_position_embeddings"}, 2048);
    m.mlp = MlpKind::Gelu;
    m.norm = NormKind::LayerNorm;
    m.position = PositionKind::Alibi;
    m.bias = true;
    m.tied_embeddings = true;
  } else if (type == "falcon" || type == "RefinedWeb" || type == "RefinedWebModel") {
    m.hidden = r.integer({"hidden_size"});
    m.layers = r.integer({"num_hidden_layers", "n_layer"});
    m.heads = r.integer({"num_attention_heads", "n_head"});
    const bool new_arch = r.boolean_or("new_decoder_architecture", false);
    m.kv_heads = new_arch ? r.integer({"num_kv_heads", "n_head_kv"}) : (r.boolean_or("multi_query", true) ? 1 : m.heads);
    m.ffn_hidden = r.integer_or({"ffn_hidden_size"}, 4 * m.hidden);
    m.vocab = r.integer({"vocab_size"});
    m.max_seq = r.integer_or({"max_position_embeddings"}, 2048);
    m.mlp = MlpKind::Gelu;
    m.norm = NormKind::LayerNorm;
    m.bias = r.boolean_or("bias", false);
    m.parallel_attention = r.boolean_or("parallel_attn", true);
    m.tied_embeddings = r.boolean_or("tie_word_embeddings", true);
  } else {
    throw InputError(file, "model_type",
                     type.empty() ? "missing" : "unsupported model_type '" + type + "' (supported: llama, mistral, "
                     "qwen2, qwen3, nemotron, gpt2, gpt_neox, mpt, bloom, falcon, mixtral, qwen3_moe, deepseek_v3, "
                     "kimi_k2, llama4, gpt_oss, nemotron_h)");
  }
  if (m.head_dim == 0 && m.heads > 0) m.head_dim = m.hidden / m.heads;
  check_model(m, file);
  return m;
}

}  // namespace

void check_model(const ModelSpec& m, const std::string& source) {
  auto positive = [&](std::int64_t v, const char* field) {
    if (v <= 0) throw InputError(source, field, "must be a positive integer");
  };
  positive(m.layers, "num_hidden_layers");
  positive(m.hidden, "hidden_size");
  positive(m.ffn_hidden, "intermediate_size");
  positive(m.heads, "num_attention_heads");
  positive(m.kv_heads, "num_key_value_heads");
  positive(m.vocab, "vocab_size");
  positive(m.head_dim, "head_dim");
  if (m.heads % m.kv_heads != 0)
    throw InputError(source, "num_key_value_heads", "must divide num_attention_heads");
  if (!m.layer_plan.empty() && static_cast<std::int64_t>(m.layer_plan.size()) != m.layers)
    throw InputError(source, "num_hidden_layers", "disagrees with the per-layer plan");
  if (m.moe.enabled()) positive(m.moe.expert_ffn_hidden, "moe_intermediate_size");
  for (const LayerSpec& l : m.layer_plan)
    if (l.mixer == MixerKind::Mamba) {
      positive(m.mamba.heads, "mamba_num_heads");
      positive(m.mamba.state, "ssm_state_size");
    }
}

ModelSpec model_from_hf_json_text(const std::string& text, const std::string& source_name) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw InputError(source_name, "", std::string("does not parse as JSON: ") + e.what());
  }
  return from_json(j, source_name);
}

ModelSpec load_hf_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path, "", "cannot open file");
  std::stringstream ss;
  ss << in.rdbuf();
  return model_from_hf_json_text(ss.str(), path);
}

std::vector<std::string> catalog_model_ids(const std::string& models_dir) {
  std::vector<std::string> ids;
  if (!std::filesystem::is_directory(models_dir)) return ids;
  for (const auto& e : std::filesystem::directory_iterator(models_dir))
    if (e.path().extension() == ".json") ids.push_back(e.path().stem().string());
  std::sort(ids.begin(), ids.end());
  return ids;
}

ModelSpec load_model(const std::string& name_or_path, const std::string& models_dir) {
  const bool looks_like_path = name_or_path.find('/') != std::string::npos ||
                               (name_or_path.size() > 5 && name_or_path.ends_with(".json"));
  if (looks_like_path) return load_hf_config(name_or_path);
  const std::string path = models_dir + "/" + name_or_path + ".json";
  if (!std::filesystem::exists(path)) {
    std::string known;
    for (const auto& id : catalog_model_ids(models_dir)) known += (known.empty() ? "" : ", ") + id;
    throw InputError("--model", "model", "unknown model '" + name_or_path + "' (catalog: " + known + ")");
  }
  ModelSpec m = load_hf_config(path);
  m.name = name_or_path;
  return m;
}

}  // namespace ct
