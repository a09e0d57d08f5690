#include "clustertwin/serve/inference_cases.hpp"

#include "clustertwin/config/name_resolver.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <vector>

#include "clustertwin/core/atomic_file.hpp"
#include "clustertwin/core/error.hpp"
#include "clustertwin/core/yaml_util.hpp"
#include "clustertwin/serve/capacity.hpp"
#include "clustertwin/serve/serving.hpp"

namespace ct::serve {

namespace {

bool starts_with(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }
bool contains(const std::string& s, const std::string& p) { return s.find(p) != std::string::npos; }
std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

struct Unsupported {
  std::string reason;
};

}  // namespace

std::optional<std::string> mlperf_benchmark_for(const std::string& model) {
  static const std::vector<std::pair<std::string, std::string>> table = {
      {"(MLPerf llama2-70b", "llama2-70b"},     {"(MLPerf llama3.1-405b", "llama3.1-405b"},
      {"(MLPerf llama3.1-8b", "llama3.1-8b"},   {"(MLPerf mixtral-8x7b", "mixtral-8x7b"},
      {"(MLPerf deepseek-r1", "deepseek-r1"},
  };
  for (const auto& [needle, id] : table)
    if (contains(model, needle)) return id;
  return std::nullopt;
}

std::optional<Precision> inference_precision_for(const std::string& column, const std::string& gpu_arch) {
  const std::string p = lower(column);
  if (starts_with(p, "fp4") || starts_with(p, "nvfp4")) return Precision::NVFP4;
  if (starts_with(p, "fp8")) return Precision::FP8;
  if (p.empty()) {
    if (gpu_arch == "hopper") return Precision::FP8;
    if (gpu_arch == "blackwell") return Precision::NVFP4;
  }
  return std::nullopt;
}

ValidationTables load_validation_tables(const std::string& data_dir) {
  const std::string file = data_dir + "/calibration/serving.yaml";
  const YAML::Node root = load_yaml_file(file);
  const YAML::Node m = root["mlperf"];
  if (!m || !m.IsMap()) throw InputError(file, "mlperf", "missing section");
  ValidationTables t;
  t.trtllm_bench_requests = yaml_positive_int(m, "trtllm_bench_requests", file, "mlperf");
  t.server_trial_requests_per_gpu = yaml_positive_int(m, "server_trial_requests_per_gpu", file, "mlperf");
  t.offline_min_requests_per_replica = yaml_positive_int(m, "offline_min_requests_per_replica", file, "mlperf");
  for (const auto& kv : m) {
    const std::string id = kv.first.as<std::string>();
    if (!kv.second.IsMap() || id == "sources") continue;
    const std::string at = "mlperf." + id;
    MlperfBenchmark b;
    b.input_tokens = yaml_number(kv.second, "input_tokens", file, at);
    b.output_tokens = yaml_number(kv.second, "output_tokens", file, at);
    b.samples = yaml_positive_int(kv.second, "samples", file, at);
    b.server_ttft_s = yaml_number(kv.second, "server_ttft_ms", file, at) * 1e-3;
    b.server_tpot_s = yaml_number(kv.second, "server_tpot_ms", file, at) * 1e-3;
    b.interactive_ttft_s = yaml_number(kv.second, "interactive_ttft_ms", file, at) * 1e-3;
    b.interactive_tpot_s = yaml_number(kv.second, "interactive_tpot_ms", file, at) * 1e-3;
    b.lengths = LengthMix::fixed(static_cast<int>(std::lround(b.input_tokens)), static_cast<int>(std::lround(b.output_tokens)));
    if (const YAML::Node f = kv.second["lengths"]) {
      // The sample's outputs are the dataset's reference answers; the served model's mean
      // (output_tokens) is what the benchmark measures.
      b.lengths = read_length_mix(data_dir + "/" + f.as<std::string>(), b.output_tokens);
      b.input_tokens = b.lengths.mean_input();
    }
    t.mlperf[id] = b;
  }
  return t;
}

namespace {

class Row : public CsvRowView {
 public:
  using CsvRowView::CsvRowView;
  std::optional<int> integer(const char* col) const {
    const std::string v = str(col);
    if (v.empty()) return std::nullopt;
    try {
      std::size_t used = 0;
      const int x = std::stoi(v, &used);
      if (used != v.size() || x <= 0) throw Unsupported{fmt::format("{} '{}' is not a positive integer", col, v)};
      return x;
    } catch (const std::logic_error&) {
      throw Unsupported{fmt::format("{} '{}' is not an integer", col, v)};
    }
  }
};

enum class Scenario { Offline, Server, Interactive };

}  // namespace

InferenceCaseResult InferenceValidator::predict(const CsvTable& table, std::size_t r) const {
  const Row row(table, r);
  try {
    const std::string metric = row.str("metric");
    if (metric == "ttft_p99_ms" || metric == "tpot_p99_ms")
      throw Unsupported{"latency at the submitted load: the load is the measured result, not an input"};
    if (metric != "tokens_per_sec" && metric != "tokens_per_sec_per_gpu")
      throw Unsupported{"unknown metric '" + metric + "'"};
    const std::string scenario_col = row.str("scenario");
    Scenario scenario;
    if (starts_with(scenario_col, "Offline")) scenario = Scenario::Offline;
    else if (scenario_col == "Server") scenario = Scenario::Server;
    else if (scenario_col == "Interactive") scenario = Scenario::Interactive;
    else throw Unsupported{"scenario '" + scenario_col + "' not in the mapping table"};

    const auto system = resolve_system(row.str("gpu"), cat_.hardware);
    if (!system) throw Unsupported{"GPU '" + row.str("gpu") + "' has no hardware catalog entry"};
    const auto model_id = resolve_model_name(row.str("model"), cat_.model_ids(), cat_.model_aliases);
    if (!model_id) throw Unsupported{"model '" + row.str("model") + "' has no catalog config"};
    const SystemSpec& sys = cat_.hardware.system(system->id);
    const auto precision = inference_precision_for(row.str("precision"), sys.gpu.arch);
    if (!precision) throw Unsupported{"precision '" + row.str("precision") + "' not in the mapping table"};
    const auto gpus = row.integer("num_gpus");
    if (!gpus) throw Unsupported{"num_gpus not published"};

    // Lengths: the row's own (trtllm-bench), else the MLPerf dataset means.
    CapacityQuery q;
    q.gpus = *gpus;
    std::optional<MlperfBenchmark> bench;
    if (const auto id = mlperf_benchmark_for(row.str("model"))) {
      const auto it = tables_.mlperf.find(*id);
      if (it == tables_.mlperf.end()) throw Unsupported{"no MLPerf dataset entry for " + *id};
      bench = it->second;
    }
    const auto in = row.integer("input_len"), out = row.integer("output_len");
    if (in && out) {
      q.lengths = LengthMix::fixed(*in, *out);
      q.requests = tables_.trtllm_bench_requests;
    } else if (bench) {
      q.lengths = bench->lengths;
      q.requests = bench->samples;
      q.min_requests_per_replica = tables_.offline_min_requests_per_replica;
    } else {
      throw Unsupported{"input/output lengths not published"};
    }
    if (scenario != Scenario::Offline) {
      if (!bench) throw Unsupported{"latency-bound scenario without MLPerf limits"};
      q.ttft_limit_s = scenario == Scenario::Server ? bench->server_ttft_s : bench->interactive_ttft_s;
      q.tpot_limit_s = scenario == Scenario::Server ? bench->server_tpot_s : bench->interactive_tpot_s;
      if (q.ttft_limit_s <= 0) throw Unsupported{"no MLPerf latency limits for this benchmark and scenario"};
    }
    q.tp = row.integer("tp").value_or(0);
    q.pp = row.integer("pp").value_or(0);

    if (q.ttft_limit_s > 0) q.requests = std::min(q.requests, q.gpus * tables_.server_trial_requests_per_gpu);
    // Rows of one run (system and per-GPU throughput) share one simulation.
    const std::string key = fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", *model_id, system->id,
                                        to_string(*precision), q.gpus, q.tp, q.pp, q.lengths.key(),
                                        q.requests, q.min_requests_per_replica, q.ttft_limit_s, q.tpot_limit_s);
    auto cached = cache_.find(key);
    if (cached == cache_.end()) {
      // FP8 KV cache: NVIDIA's MLPerf entries and the ModelOpt FP8/FP4 checkpoints quantise it.
      const ReplicaSpec base{cat_.model(*model_id), sys, 1, 1, *precision, 1.0};
      cached = cache_.emplace(key, best_throughput(base, q, cat_.calibration, EngineLimits::from(serving_))).first;
    }
    const CapacityAnswer& a = cached->second;
    if (!a.feasible) return {"infeasible", a.reason, 0, "", "", {}};
    const double system_tokens_per_s = a.output_tokens_per_s_per_gpu * q.gpus;
    const double predicted = metric == "tokens_per_sec" ? system_tokens_per_s : a.output_tokens_per_s_per_gpu;
    CaseResult ok{"ok", fmt::format("TP{} PP{} x {} replicas", a.tp, a.pp, a.replicas), predicted, "", "", {}};
    const char* scenario_name = scenario == Scenario::Offline ? "offline" : scenario == Scenario::Server ? "server" : "interactive";
    ok.cls = comparable_class("serving", sys.gpu, cat_.model(*model_id), *precision, scenario_name);
    return ok;
  } catch (const Unsupported& u) {
    return {"unsupported", u.reason, 0, "", "", {}};
  }
}

InferenceValidator::Summary InferenceValidator::run(const std::string& cases_path, const std::string& out_path,
                                                     const CaseProgress& progress) const {
  return run_cases(cases_path, out_path,
                   {"model", "gpu", "num_gpus", "tp", "pp", "precision", "scenario", "input_len", "output_len", "metric"},
                   [this](const CsvTable& t, std::size_t r) { return predict(t, r); }, progress);
}

}  // namespace ct::serve
