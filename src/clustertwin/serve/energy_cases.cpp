#include "clustertwin/serve/energy_cases.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <regex>

#include "clustertwin/config/name_resolver.hpp"
#include "clustertwin/core/error.hpp"
#include "clustertwin/core/yaml_util.hpp"
#include "clustertwin/serve/serving.hpp"

namespace ct::serve {

namespace {

struct Unsupported {
  std::string reason;
};

bool contains(const std::string& s, const std::string& p) { return s.find(p) != std::string::npos; }

// The first integer after `key` in `text` ("max_num_seqs=8", "TP=4", "avg output len 389").
std::optional<int> integer_after(const std::string& text, const std::string& key) {
  const auto at = text.find(key);
  if (at == std::string::npos) return std::nullopt;
  std::size_t i = at + key.size();
  while (i < text.size() && !std::isdigit(static_cast<unsigned char>(text[i]))) {
    if (text[i] != ' ' && text[i] != '=') return std::nullopt;
    ++i;
  }
  int x = 0;
  bool any = false;
  for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) x = 10 * x + (text[i] - '0'), any = true;
  return any && x > 0 ? std::optional<int>(x) : std::nullopt;
}

// "MLPerf Inference v4.1 (closed, power)" -> "v4.1".
std::string mlperf_round(const std::string& source) {
  static const std::regex round(R"(\bv(\d+\.\d+)\b)");
  std::smatch m;
  if (!std::regex_search(source, m, round)) return "";
  std::string out = m[1].str();
  out.insert(out.begin(), 'v');
  return out;
}

// "llama2-70b-99.9" -> "llama2-70b": the accuracy target does not change the work.
std::string benchmark_base(std::string b) {
  for (const std::string_view suffix : {std::string_view("-99.9"), std::string_view("-99")})
    if (b.size() > suffix.size() && b.ends_with(suffix)) {
      b.resize(b.size() - suffix.size());
      break;
    }
  return b;
}

// Weight formats of the ML.ENERGY rows (vLLM checkpoints).
std::optional<Precision> ml_energy_precision(const std::string& column) {
  if (column == "bfloat16" || column == "bf16") return Precision::BF16;
  if (column == "fp8") return Precision::FP8;
  return std::nullopt;
}

}  // namespace

// What one row asks of the simulator.
struct EnergyValidator::Case {
  ReplicaSpec replica;  // tp 0: the best layout, as the inference validation searches it
  EngineLimits limits;
  int gpus = 0;
  LengthMix lengths = LengthMix::fixed(1, 1);
  long long requests = 0;                     // all replicas together
  double ttft_limit_s = 0, tpot_limit_s = 0;  // Server: the load is the highest meeting them
  std::string resolution;
};

EnergyRun EnergyValidator::simulate(const Case& c) const {
  EnergyRun out;
  ReplicaSpec replica = c.replica;
  double rate_per_replica = 0;
  if (replica.tp == 0) {
    CapacityQuery q;
    q.gpus = c.gpus;
    q.lengths = c.lengths;
    q.requests = c.requests;
    q.min_requests_per_replica = mlperf_.offline_min_requests_per_replica;
    q.ttft_limit_s = c.ttft_limit_s, q.tpot_limit_s = c.tpot_limit_s;
    const CapacityAnswer a = best_throughput(replica, q, cat_.calibration, c.limits);
    if (!a.feasible) return {false, a.reason, "", {}, 0};
    replica.tp = a.tp, replica.pp = a.pp;
    rate_per_replica = a.requests_per_s_per_replica;
  }
  if (c.gpus % replica.gpus() != 0) return {false, "the GPUs are not a whole number of replicas", "", {}, 0};
  const int replicas = c.gpus / replica.gpus();
  const long long per_replica = std::max<long long>(c.requests / replicas, mlperf_.offline_min_requests_per_replica);
  ServingResult r;
  if (c.ttft_limit_s > 0 || c.tpot_limit_s > 0) {
    if (rate_per_replica <= 0) return {false, "no load meets the latency limits", "", {}, 0};
    r = simulate_serving({replica, 1, c.limits}, cat_.calibration,
                         poisson_requests(rate_per_replica, c.lengths, c.requests / replicas, 1));
  } else {
    r = offline_run(replica, c.limits, cat_.calibration, c.lengths, per_replica);
  }
  if (!r.feasible) return {false, r.reason, "", {}, 0};
  out.feasible = true;
  out.layout = fmt::format("TP{} PP{} x {} replicas", replica.tp, replica.pp, replicas);
  out.power = r.power;
  for (double* w : {&out.power.gpu_w, &out.power.node_dc_w, &out.power.node_wall_w}) *w *= replicas;
  out.output_tokens_per_s = r.output_tokens_per_s * replicas;
  return out;
}

EnergyValidationTables load_energy_validation_tables(const std::string& data_dir) {
  const std::string file = data_dir + "/calibration/power.yaml";
  const YAML::Node v = load_yaml_file(file)["validation"];
  if (!v || !v.IsMap()) throw InputError(file, "validation", "missing section");
  EnergyValidationTables t;
  for (const char* section : {"mlperf_maxq_power_limit_w", "ml_energy_input_tokens"}) {
    const YAML::Node m = v[section];
    if (!m || !m.IsMap()) throw InputError(file, std::string("validation.") + section, "missing map");
    auto& into = std::string(section) == "mlperf_maxq_power_limit_w" ? t.maxq_power_limit_w : t.ml_energy_input_tokens;
    for (const auto& kv : m) {
      const std::string key = kv.first.as<std::string>();
      const double x = yaml_number(m, key, file, std::string("validation.") + section);
      if (!(x > 0)) throw InputError(file, std::string("validation.") + section + "." + key, "must be positive");
      into[key] = x;
    }
  }
  t.offline_requests = yaml_positive_int(v, "offline_requests", file, "validation");
  return t;
}

std::optional<cost::PowerScope> power_scope_for(const std::string& column) {
  if (column.starts_with("GPU-only")) return cost::PowerScope::Gpu;
  if (column.starts_with("AC wall power")) return cost::PowerScope::NodeWall;
  return std::nullopt;
}

CaseResult EnergyValidator::predict(const CsvTable& table, std::size_t r) const {
  const CsvRowView row(table, r);
  try {
    const std::string metric = row.str("metric"), source = row.str("source");
    if (contains(source, "Training"))
      throw Unsupported{"MLPerf Training power: training runs are not mapped onto the step simulator's power yet"};
    if (metric == "energy_j") throw Unsupported{"energy to train: a training metric"};
    if (metric != "avg_power_w" && metric != "energy_per_token_j") throw Unsupported{"unknown metric '" + metric + "'"};
    const auto scope = power_scope_for(row.str("power_scope"));
    if (!scope) throw Unsupported{"power scope not modelled: " + row.str("power_scope").substr(0, 60)};
    const auto system = resolve_system(row.str("gpu"), cat_.hardware);
    if (!system) throw Unsupported{"GPU '" + row.str("gpu") + "' has no hardware catalog entry"};
    const SystemSpec& sys = cat_.hardware.system(system->id);
    const auto gpus = integer_after(row.str("num_gpus"), "");
    if (!gpus) throw Unsupported{"num_gpus not published"};

    Case c;
    c.replica.tp = 0;
    c.gpus = *gpus;
    c.limits = EngineLimits::from(serving_);
    const std::string benchmark = row.str("benchmark");
    std::optional<std::string> model_id;
    Precision precision = Precision::FP8;
    if (benchmark.starts_with("ML.ENERGY ")) {
      const std::string task = benchmark.substr(10), notes = row.str("notes"), scenario = row.str("scenario");
      model_id = resolve_model_name(row.str("model"), cat_.model_ids(), cat_.model_aliases);
      const auto p = ml_energy_precision(row.str("precision"));
      if (!p) throw Unsupported{"precision '" + row.str("precision") + "' not modelled (MXFP4 weights on Hopper)"};
      precision = *p;
      const auto in = tables_.ml_energy_input_tokens.find(task);
      const auto batch = integer_after(scenario, "max_num_seqs"), out = integer_after(notes, "avg output len");
      const auto tp = integer_after(notes, "TP"), ep = integer_after(notes, "EP");
      if (in == tables_.ml_energy_input_tokens.end() || !batch || !out || !tp)
        throw Unsupported{"ML.ENERGY task, batch cap, output length or TP not stated"};
      c.lengths = LengthMix::fixed(static_cast<int>(std::lround(in->second)), *out);
      c.limits.max_batch_size = *batch;
      c.replica.tp = *tp * ep.value_or(1);  // the engine shards experts over TP (engine_parallelism)
      c.requests = std::max<long long>(tables_.offline_requests, 4LL * *batch);
      c.resolution = fmt::format("max_num_seqs {}; TP{}{}", *batch, c.replica.tp, ep.value_or(1) > 1 ? " (EP as TP)" : "");
    } else {
      const std::string base = benchmark_base(benchmark);
      const auto bench = mlperf_.mlperf.find(base);
      if (bench == mlperf_.mlperf.end()) throw Unsupported{"no MLPerf dataset entry for " + base};
      model_id = resolve_model_name(base, cat_.model_ids(), cat_.model_aliases);
      // The declared weight type is the checkpoint's; NVIDIA's Hopper entries quantise to FP8.
      const auto p = inference_precision_for("", sys.gpu.arch);
      if (!p) throw Unsupported{"no MLPerf weight format for " + sys.gpu.arch};
      precision = *p;
      c.lengths = bench->second.lengths;
      c.requests = std::max<long long>(bench->second.samples, mlperf_.offline_min_requests_per_replica);
      if (row.str("scenario") == "Server") {
        c.ttft_limit_s = bench->second.server_ttft_s;
        c.tpot_limit_s = bench->second.server_tpot_s;
        c.requests = *gpus * mlperf_.server_trial_requests_per_gpu;
      } else if (row.str("scenario") != "Offline") {
        throw Unsupported{"scenario '" + row.str("scenario") + "' not in the mapping table"};
      }
      if (contains(row.str("system_name"), "MaxQ")) {
        const std::string key = fmt::format("{}/{}/{}", mlperf_round(source), sys.gpu.id, base);
        const auto limit = tables_.maxq_power_limit_w.find(key);
        if (limit == tables_.maxq_power_limit_w.end()) throw Unsupported{"MaxQ power limit unknown for " + key};
        c.replica.power_limit_w = limit->second;
        c.resolution = fmt::format("MaxQ {:.0f} W", limit->second);
      }
    }
    if (!model_id) throw Unsupported{"model '" + row.str("model") + "' has no catalog config"};
    c.replica.model = cat_.model(*model_id);
    c.replica.system = sys;
    c.replica.weights = precision;
    c.replica.kv_element_bytes = precision == Precision::BF16 ? 2.0 : 1.0;

    const std::string key = fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}", *model_id, sys.id, to_string(precision), c.gpus,
                                        c.replica.tp, c.replica.power_limit_w, c.lengths.key(),
                                        c.limits.max_batch_size, c.ttft_limit_s);
    auto cached = cache_.find(key);
    if (cached == cache_.end()) cached = cache_.emplace(key, simulate(c)).first;
    const EnergyRun& run = cached->second;
    if (!run.feasible) return {"infeasible", run.reason, 0, "", "", {}};
    const double watts = run.power.watts(*scope);
    const double predicted = metric == "avg_power_w" ? watts : run.power.joules_per_output_token(*scope, run.output_tokens_per_s);
    std::string resolution = run.layout + (c.resolution.empty() ? "" : "; " + c.resolution);
    return {"ok", fmt::format("{} scope, {:.0f} output tokens/s", cost::to_string(*scope), run.output_tokens_per_s),
            predicted, resolution, "", {}};
  } catch (const Unsupported& u) {
    return {"unsupported", u.reason, 0, "", "", {}};
  }
}

CaseSummary EnergyValidator::run(const std::string& cases_path, const std::string& out_path,
                                 const CaseProgress& progress) const {
  return run_cases(cases_path, out_path,
                   {"source", "benchmark", "model", "scenario", "gpu", "num_gpus", "system_name", "precision",
                    "power_scope", "metric", "notes"},
                   [this](const CsvTable& t, std::size_t r) { return predict(t, r); }, progress);
}

}  // namespace ct::serve
