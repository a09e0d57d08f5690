#include "clustertwin/train/time_to_train.hpp"

#include <cmath>

#include "clustertwin/core/error.hpp"
#include "clustertwin/core/yaml_util.hpp"

namespace ct {

std::optional<double> sequences_to_converge(const ConvergenceBenchmark& b, int global_batch) {
  const auto& rcp = b.rcp_sequences;
  if (rcp.empty() || global_batch <= 0) return std::nullopt;
  if (global_batch <= rcp.begin()->first) return rcp.begin()->second;
  const auto hi = rcp.lower_bound(global_batch);
  if (hi == rcp.end()) return std::nullopt;
  if (hi->first == global_batch) return hi->second;
  const auto lo = std::prev(hi);
  const double t = static_cast<double>(global_batch - lo->first) / (hi->first - lo->first);
  return lo->second + t * (hi->second - lo->second);
}

std::optional<TimeToTrain> project_time_to_train(const ConvergenceBenchmark& b, int global_batch, double step_time_s) {
  const auto sequences = sequences_to_converge(b, global_batch);
  if (!sequences || step_time_s <= 0) return std::nullopt;
  TimeToTrain t;
  t.steps = static_cast<long long>(std::ceil(*sequences / global_batch));
  const long long steps_per_eval = std::max(1LL, static_cast<long long>(std::ceil(b.eval_every_sequences / global_batch)));
  const long long skipped =
      static_cast<long long>(std::floor(b.skip_first_evals_per_batch * global_batch + b.skip_first_evals_constant));
  t.evaluations = std::max(0LL, t.steps / steps_per_eval - skipped);
  const double forward_share = b.lora ? 0.5 : 1.0 / 3.0;
  t.train_s = static_cast<double>(t.steps) * step_time_s;
  t.eval_s = static_cast<double>(t.evaluations) * b.eval_sequences / global_batch * step_time_s * forward_share;
  return t;
}

double pretraining_gpu_hours(double tokens, double tokens_per_s_per_gpu) {
  return tokens_per_s_per_gpu > 0 ? tokens / tokens_per_s_per_gpu / 3600.0 : 0.0;
}

std::vector<ConvergenceBenchmark> load_convergence_benchmarks(const std::string& path) {
  const YAML::Node root = load_yaml_file(path);
  const YAML::Node list = root["benchmarks"];
  if (!list || !list.IsSequence()) throw InputError(path, "benchmarks", "missing list");
  std::vector<ConvergenceBenchmark> out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const YAML::Node n = list[i];
    ConvergenceBenchmark b;
    b.id = yaml_string(n, "id", path, "benchmarks[" + std::to_string(i) + "]");
    const std::string at = "benchmarks(" + b.id + ")";
    b.model = yaml_string(n, "model", path, at);
    b.seq_len = yaml_positive_int(n, "seq_len", path, at);
    b.lora = static_cast<bool>(n["lora"]);
    b.eval_every_sequences = yaml_number(n, "eval_every_samples", path, at);
    b.eval_sequences = yaml_number(n, "eval_sequences", path, at);
    if (const YAML::Node skip = n["eval_skip_first_evals"]) {
      b.skip_first_evals_per_batch = yaml_number(skip, "per_global_batch", path, at + ".eval_skip_first_evals");
      b.skip_first_evals_constant = yaml_number(skip, "constant", path, at + ".eval_skip_first_evals");
    }
    const YAML::Node rcps = n["rcps"];
    if (!rcps || !rcps.IsSequence()) throw InputError(path, at + ".rcps", "missing list");
    for (std::size_t k = 0; k < rcps.size(); ++k) {
      const std::string rat = at + ".rcps[" + std::to_string(k) + "]";
      if (yaml_bool_or(rcps[k], "pruned", false, path, rat)) continue;  // the checker does not use it
      const double seqs = yaml_number(rcps[k], "samples_to_converge", path, rat);
      if (seqs <= 0) throw InputError(path, rat + ".samples_to_converge", "must be positive");
      b.rcp_sequences[yaml_positive_int(rcps[k], "global_batch", path, rat)] = seqs;
    }
    if (b.eval_every_sequences <= 0 || b.eval_sequences <= 0) throw InputError(path, at, "evaluation figures must be positive");
    out.push_back(std::move(b));
  }
  return out;
}

std::map<std::string, double> load_pretraining_tokens(const std::string& path) {
  const YAML::Node root = load_yaml_file(path);
  const YAML::Node runs = root["pretraining_tokens"];
  if (!runs || !runs.IsMap()) throw InputError(path, "pretraining_tokens", "missing map");
  std::map<std::string, double> out;
  for (const auto& kv : runs) {
    const std::string id = kv.first.as<std::string>();
    const double tokens = yaml_number(kv.second, "tokens", path, "pretraining_tokens." + id);
    if (tokens <= 0) throw InputError(path, "pretraining_tokens." + id + ".tokens", "must be positive");
    out[id] = tokens;
  }
  return out;
}

}  // namespace ct
