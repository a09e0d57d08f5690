#include "clustertwin/validate/training_cases.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>

#include "clustertwin/core/atomic_file.hpp"
#include "clustertwin/core/error.hpp"
#include "clustertwin/core/yaml_util.hpp"
#include "clustertwin/cost/flops.hpp"
#include "clustertwin/model/hf_config.hpp"
#include "clustertwin/train/recompute_choice.hpp"
#include "clustertwin/train/time_to_train.hpp"
#include "clustertwin/validate/layout_search.hpp"

namespace ct {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}
bool starts_with(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }
bool contains(const std::string& s, const std::string& p) { return s.find(p) != std::string::npos; }

struct Unsupported {
  std::string reason;
};

}  // namespace

// ---- Name resolution (config/name_resolver.hpp) ----------------------------------------------

namespace {

// The catalog model a row names. Megatron "GPT <size>" runs the catalog lacks take the GPT-3
// config as a template that the row's architecture columns reshape.
std::optional<std::string> catalog_model_id(const std::string& name, const Catalogs& cat) {
  if (auto id = resolve_model_name(name, cat.model_ids(), cat.model_aliases)) return id;
  if (starts_with(name, "GPT ")) return "gpt3-175b";
  return std::nullopt;
}

}  // namespace

// ---- One row --------------------------------------------------------------------------------

namespace {

class Row : public CsvRowView {
 public:
  using CsvRowView::CsvRowView;
  // An integer column; "N (note)" reads as N; blank gives nullopt.
  std::optional<long long> integer(const char* col) const {
    const std::string v = str(col);
    if (v.empty()) return std::nullopt;
    std::size_t used = 0;
    long long x = 0;
    try {
      x = std::stoll(v, &used);
    } catch (...) {
      throw Unsupported{fmt::format("{} '{}' is not an integer", col, v)};
    }
    if (used != v.size() && v[used] != ' ') throw Unsupported{fmt::format("{} '{}' is not an integer", col, v)};
    if (x < 0) throw Unsupported{fmt::format("{} is negative", col)};
    return x;
  }
  long long integer_or(const char* col, long long fallback) const { return integer(col).value_or(fallback); }
  // A layout or batch count: positive and small enough for the simulator's int fields.
  int count_or(const char* col, long long fallback) const {
    const long long v = integer(col).value_or(fallback);
    if (v <= 0 || v > (1LL << 30)) throw Unsupported{fmt::format("{} {} is not a positive count", col, v)};
    return static_cast<int>(v);
  }
  int required_count(const char* col) const {
    if (!integer(col)) throw Unsupported{fmt::format("{} not published", col)};
    return count_or(col, 0);
  }
  long long required(const char* col) const {
    auto v = integer(col);
    if (!v) throw Unsupported{fmt::format("{} not published", col)};
    return *v;
  }
};

// A model the catalog does not know, from the row's architecture columns: a generic decoder in the
// Llama layout (SwiGLU MLP or experts, RMSNorm, RoPE, untied embeddings), the layout of every recent
// dense and MoE family in the measured data.
ModelSpec generic_decoder(const Row& row, const std::string& name, std::vector<std::string>& assumptions) {
  const bool moe = !row.str("moe_experts").empty();
  nlohmann::json j = {{"model_type", moe ? "mixtral" : "llama"},
                      {"num_hidden_layers", row.required("layers")},
                      {"hidden_size", row.required("hidden")},
                      {"intermediate_size", row.required("ffn_hidden")},
                      {"num_attention_heads", row.required("heads")},
                      {"num_key_value_heads", row.integer_or("kv_heads", row.required("heads"))},
                      {"vocab_size", row.required("vocab")},
                      {"max_position_embeddings", row.required("seq_len")},
                      {"tie_word_embeddings", false}};
  if (moe) j["num_local_experts"] = row.required("moe_experts"), j["num_experts_per_tok"] = row.required("moe_topk");
  assumptions.push_back("model '" + name + "' not in the catalog: a generic " + (moe ? "MoE " : "") +
                        "decoder (Llama layout: SwiGLU, RMSNorm, RoPE, untied embeddings) from the architecture columns");
  try {
    ModelSpec m = model_from_hf_json_text(j.dump(), "cases: " + name);
    m.name = name;
    return m;
  } catch (const InputError& e) {
    throw Unsupported{"architecture columns: " + e.reason()};
  }
}

ModelSpec row_model(const Row& row, const Catalogs& cat, std::vector<std::string>& assumptions) {
  const std::string name = row.str("model");
  const bool moe_row = !row.str("moe_experts").empty();
  const auto id = catalog_model_id(name, cat);
  if (!id) {
    if (row.str("layers").empty() || row.str("hidden").empty()) throw Unsupported{"architecture not published"};
    return generic_decoder(row, name, assumptions);
  }
  if (!cat.has_model(*id)) throw Unsupported{"no catalog config for " + *id};
  ModelSpec m;
  try {
    m = cat.model(*id);
  } catch (const InputError& e) {
    throw Unsupported{"catalog model " + *id + ": " + e.reason()};
  }
  m.name = name;
  auto override_dim = [&](const char* col, std::int64_t& field) {
    if (auto v = row.integer(col)) field = *v;
  };
  override_dim("hidden", m.hidden);
  override_dim("vocab", m.vocab);
  if (moe_row) {
    // MoE rows give the per-expert FFN size; the catalog config keeps the layer plan, MLA and
    // head dimensions, which the columns cannot express.
    if (!m.moe.enabled()) throw Unsupported{"row says mixture-of-experts, catalog model " + *id + " is dense"};
    std::int64_t experts = m.moe.num_experts, top_k = m.moe.top_k;
    override_dim("ffn_hidden", m.moe.expert_ffn_hidden);
    override_dim("moe_experts", experts);
    override_dim("moe_topk", top_k);
    m.moe.num_experts = static_cast<int>(experts), m.moe.top_k = static_cast<int>(top_k);
    if (auto layers = row.integer("layers"); layers && *layers != m.layers)
      throw Unsupported{"layers column disagrees with the catalog model's layer plan"};
  } else if (row.integer("layers") || row.integer("ffn_hidden") || row.integer("heads")) {
    // The row's own dense shape replaces the catalog's; with none published the catalog model
    // (hybrid layer plans such as Nemotron-3's Mamba/MoE pattern included) stays as it is.
    override_dim("layers", m.layers);
    override_dim("ffn_hidden", m.ffn_hidden);
    override_dim("heads", m.heads);
    if (auto kv = row.integer("kv_heads")) {
      m.kv_heads = *kv;
    } else if (row.integer("heads")) {
      m.kv_heads = m.heads;  // heads published without kv_heads: multi-head attention
    }
    m.head_dim = m.hidden / m.heads;
    m.layer_plan.clear();
  }
  if (auto seq = row.integer("seq_len")) m.max_seq = std::max<std::int64_t>(m.max_seq, *seq);
  check_model(m, "cases: " + name);
  return m;
}

// data/calibration/moe_dispatch.yaml: catalog models whose published recipe deduplicates the dispatch.
std::vector<std::string> load_dedup_dispatch_models(const std::string& path) {
  const YAML::Node root = load_yaml_file(path);
  const YAML::Node recipes = root["published_recipes"];
  if (!recipes || !recipes.IsMap()) throw InputError(path, "published_recipes", "missing map");
  std::vector<std::string> ids;
  for (const auto& kv : recipes) {
    const std::string id = kv.first.as<std::string>(), d = yaml_string(kv.second, "dispatcher", path, id);
    if (d != "dedup" && d != "alltoall") throw InputError(path, id + ".dispatcher", "must be dedup or alltoall");
    if (d == "dedup") ids.push_back(id);
  }
  return ids;
}

}  // namespace

CaseResult TrainingValidator::predict(const CsvTable& table, std::size_t r) const {
  const Row row(table, r);
  try {
    const std::string metric = row.str("metric");
    const bool whole_run = metric == "time_to_train_min" || metric == "gpu_hours";
    if (!whole_run && metric != "tokens_per_sec_per_gpu" && metric != "iteration_time_s" && metric != "tflops_per_gpu" &&
        metric != "mfu")
      throw Unsupported{"unknown metric '" + metric + "'"};

    TrainScenario s;
    std::vector<std::string> assumptions;
    s.model = row_model(row, cat_, assumptions);
    const auto system = resolve_system(row.str("gpu"), cat_.hardware);
    if (!system) throw Unsupported{"GPU/system '" + row.str("gpu") + "' names no catalog GPU"};
    s.system = cat_.hardware.system(system->id);
    assumptions.insert(assumptions.end(), system->assumptions.begin(), system->assumptions.end());
    // Blank precision: BF16 mixed precision, the default of every stack in the data before FP8.
    if (row.str("precision").empty()) assumptions.push_back("BF16 (precision not stated)");
    const auto precision = row.str("precision").empty() ? std::optional(Precision::BF16) : resolve_precision(row.str("precision"));
    if (!precision) throw Unsupported{"precision '" + row.str("precision") + "' names no supported number format"};
    const auto recompute = resolve_recompute(row.str("recompute"));
    if (!recompute) throw Unsupported{"recompute '" + row.str("recompute") + "' names no recompute setting"};
    const auto dp_mode = resolve_dp_mode(row.str("fsdp_or_zero"), static_cast<int>(row.integer_or("year", 0)));
    if (!dp_mode) throw Unsupported{"data-parallel mode '" + row.str("fsdp_or_zero") + "' names no supported stack"};
    // The stack's profile at the run's release, where profiles.yaml describes that release.
    s.profile = cat_.profile_at(dp_mode->profile, stack_release(row.str("notes")));

    ParallelLayout& l = s.layout;
    l.gpus = row.required_count("num_gpus");
    // No published layout: the planner's fastest under the published constraints, as a tuned submitter runs it.
    const bool search_layout = !row.integer("tp") && !row.integer("pp") && !row.integer("dp");
    l.tp = row.count_or("tp", 1);
    l.pp = row.count_or("pp", 1);
    l.vp = row.count_or("vp", 1);
    l.cp = row.count_or("cp", 1);
    l.ep = row.count_or("ep", 1);
    l.seq_len = row.required_count("seq_len");
    // Blank micro-batch: the stacks' default of 1, unless neither batch size is published and a
    // pipeline needs micro-batches to fill it.
    if (!row.integer("micro_batch") && !row.integer("global_batch") && row.integer_or("pp", 1) > 1)
      throw Unsupported{"micro_batch and global_batch not published for a pipelined run"};
    l.micro_batch = row.count_or("micro_batch", 1);
    l.precision = *precision;
    l.recompute = *recompute;
    l.sharding = dp_mode->sharding;
    l.shard_group = dp_mode->shard_within_node ? s.system.gpus_per_node : dp_mode->shard_group;
    l.lora = contains(s.model.name, "LoRA");
    if (const auto id = catalog_model_id(row.str("model"), cat_);
        id && s.model.moe.enabled() && std::find(dedup_dispatch_models_.begin(), dedup_dispatch_models_.end(), *id) != dedup_dispatch_models_.end()) {
      l.ep_node_dedup = true;
      assumptions.push_back("MoE dispatch deduplicated per node (the published recipe's flex dispatcher with HybridEP)");
    }
    const std::string sp = lower(row.str("seq_parallel"));
    l.sequence_parallel = sp != "no";  // published "yes", or blank (on by default with TP in Megatron)
    const long long model_parallel = 1LL * l.tp * l.pp * l.cp;
    const long long dp = l.gpus % model_parallel == 0 ? l.gpus / model_parallel : 0;
    // No published global batch: one micro-batch per replica (no gradient accumulation).
    l.global_batch = row.count_or("global_batch", dp * l.micro_batch);
    if (l.shard_group == dp) l.shard_group = 0;
    if (search_layout && !row.integer("global_batch"))
      throw Unsupported{"parallel layout and global_batch not published: nothing to search under"};
    try {
      if (!search_layout) resolve_layout(l, s.model, "cases");
    } catch (const InputError& e) {
      throw Unsupported{"published layout is impossible: " + e.field() + ": " + e.reason()};
    }
    if (auto published_dp = row.integer("dp"); published_dp && *published_dp != l.dp)
      throw Unsupported{fmt::format("dp column {} disagrees with num_gpus/(tp*pp*cp) = {}", *published_dp, l.dp)};

    TrainResult res;
    try {
      if (search_layout) {
        auto best = simulate_fastest_layout(s, cat_.calibration, row.integer("micro_batch").has_value());
        if (!best) throw Unsupported{"layout not published and no layout of this run fits in memory"};
        res = std::move(*best);
      } else {
        // Blank recompute: the least the stack offers that fits memory, as its users tune it
        // (published recipes enable recompute modules or activation offload the tables do not list).
        res = row.str("recompute").empty()
                  ? simulate_fitting_memory(s, cat_.calibration, {.keep_timeline = false})
                  : simulate_training_step(s, cat_.calibration, {.keep_timeline = false});
      }
    } catch (const InputError& e) {
      throw Unsupported{e.reason()};
    }
    CaseResult out;
    out.status = res.feasible ? "ok" : "infeasible";
    out.cls = comparable_class("training", s.system.gpu, s.model, l.precision, s.profile.stack());
    out.reason = res.feasible ? "" : res.infeasible_reason;
    if (res.feasible && res.scenario.layout.activation_offload_layers > 0)
      out.reason = fmt::format("recompute not published; assumed none with the activations of {} layers per stage "
                               "offloaded to host memory (none in HBM does not fit; faster than recompute)",
                               res.scenario.layout.activation_offload_layers);
    else if (res.feasible && res.scenario.layout.recompute != l.recompute)
      out.reason = "recompute not published; assumed " + recompute_name(res.scenario.layout) + " (none does not fit)";
    if (search_layout) {
      const ParallelLayout& b = res.scenario.layout;
      out.resolution = "layout searched";
      out.reason = fmt::format("layout: searched (TP {} PP {} VP {} CP {} EP {} DP {}, micro-batch {}, recompute {})", b.tp, b.pp,
                               b.vp, b.cp, b.ep, b.dp, b.micro_batch, recompute_name(b));
    }
    const std::string unit = lower(row.str("unit"));
    const bool pytorch_mfu = dp_mode->profile == "pytorch-fsdp";  // 6N + attention convention
    double flops = pytorch_mfu ? cost::six_n_model_flops(s.model, l.global_batch, static_cast<double>(l.seq_len))
                               : res.model_flops_per_step;
    if (contains(unit, "recompute") && res.scenario.layout.recompute == Recompute::Full) flops *= 4.0 / 3.0;  // hardware FLOPs
    const double flops_per_gpu = flops / res.step_time_s / l.gpus;
    for (const std::string& a : assumptions) out.assumptions += (out.assumptions.empty() ? "assumed: " : "; ") + a;
    if (whole_run && res.feasible) {
      const auto id = catalog_model_id(row.str("model"), cat_);
      if (!id) throw Unsupported{"whole-run metric of a model the catalog does not know"};
      project_whole_run(*id, metric, res, out);
      return out;
    }
    if (metric == "tokens_per_sec_per_gpu") out.predicted = res.tokens_per_s_per_gpu;
    if (metric == "iteration_time_s") out.predicted = res.step_time_s;
    if (metric == "tflops_per_gpu") out.predicted = flops_per_gpu / 1e12;
    if (metric == "mfu") {
      const PeakFormat fmt = pytorch_mfu ? gemm_peak_format(l.precision) : PeakFormat::BF16;
      out.predicted = 100.0 * flops_per_gpu / s.system.gpu.peak(fmt);
    }
    return out;
  } catch (const Unsupported& u) {
    return {"unsupported", u.reason, 0, "", "", {}};
  }
}

TrainingValidator::TrainingValidator(const Catalogs& catalogs)
    : cat_(catalogs),
      benchmarks_(load_convergence_benchmarks(catalogs.data_dir + "/calibration/mlperf_rcp.yaml")),
      pretraining_tokens_(load_pretraining_tokens(catalogs.data_dir + "/calibration/pretraining_tokens.yaml")),
      dedup_dispatch_models_(load_dedup_dispatch_models(catalogs.data_dir + "/calibration/moe_dispatch.yaml")) {}

// MLPerf time-to-train from the reference convergence points of the benchmark the run is (catalog model,
// sequence length, LoRA); full-run GPU-hours from the model's published pretraining tokens.
void TrainingValidator::project_whole_run(const std::string& model_id, const std::string& metric, const TrainResult& res,
                                          CaseResult& out) const {
  const ParallelLayout& l = res.scenario.layout;
  out.resolution += std::string(out.resolution.empty() ? "" : "; ") + "whole-run metric";
  if (metric == "gpu_hours") {
    const auto tokens = pretraining_tokens_.find(model_id);
    if (tokens == pretraining_tokens_.end()) throw Unsupported{"gpu_hours: no published pretraining token count for " + model_id};
    out.predicted = pretraining_gpu_hours(tokens->second, res.tokens_per_s_per_gpu);
    return;
  }
  const auto bench = std::find_if(benchmarks_.begin(), benchmarks_.end(), [&](const ConvergenceBenchmark& b) {
    return b.model == model_id && b.seq_len == l.seq_len && b.lora == l.lora;
  });
  if (bench == benchmarks_.end())
    throw Unsupported{fmt::format("time_to_train: no reference convergence point for {} at sequence length {}", model_id, l.seq_len)};
  const auto t = project_time_to_train(*bench, l.global_batch, res.step_time_s);
  if (!t) throw Unsupported{fmt::format("time_to_train: {} has no reference convergence point at global batch {}", bench->id, l.global_batch)};
  out.predicted = t->total_s() / 60.0;
  out.reason += fmt::format("{}MLPerf {}: {} steps to converge (RCP), {} evaluations ({:.0f} s)", out.reason.empty() ? "" : "; ",
                            bench->id, t->steps, t->evaluations, t->eval_s);
}

TrainingValidator::Summary TrainingValidator::run(const std::string& cases_path, const std::string& out_path,
                                                   const CaseProgress& progress) const {
  return run_cases(cases_path, out_path, {"model", "gpu", "num_gpus", "metric", "precision", "seq_len"},
                   [this](const CsvTable& t, std::size_t r) { return predict(t, r); }, progress);
}

}  // namespace ct
