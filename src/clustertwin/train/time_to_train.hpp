#pragma once
// Whole-run projections from a step time: MLPerf Training time-to-train (reference convergence
// points, evaluations on the clock) and full pretraining GPU-hours from a published token count.
// Pure functions; the data lives in data/calibration/mlperf_rcp.yaml and pretraining_tokens.yaml.
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ct {

// One MLPerf Training benchmark as its reference convergence points define it.
struct ConvergenceBenchmark {
  std::string id;     // MLPerf benchmark name, e.g. gpt3, llama2_70b_lora, llama31_405b
  std::string model;  // catalog model id
  long long seq_len = 0;
  bool lora = false;
  // Global batch (sequences) -> mean sequences to converge, the checker's pruned set only.
  std::map<int, double> rcp_sequences;
  double eval_every_sequences = 0;  // reference evaluation interval, rounded up to whole steps
  double eval_sequences = 0;        // sequences one evaluation runs forward
  double skip_first_evals_per_batch = 0, skip_first_evals_constant = 0;  // floor(a * GBS + b) evaluations skipped
};

// Sequences to converge at `global_batch`: linear between the pruned RCPs, the smallest one below
// them; nullopt above the largest (MLPerf has no RCP there).
std::optional<double> sequences_to_converge(const ConvergenceBenchmark& b, int global_batch);

struct TimeToTrain {
  long long steps = 0;       // training steps until the target is reached
  long long evaluations = 0; // evaluations run on the clock
  double train_s = 0, eval_s = 0;
  double total_s() const { return train_s + eval_s; }
};

// Steps to converge at the step time, plus the evaluations. An evaluation runs the forward pass
// only, over eval_sequences: a third of a training step's work per sequence (forward + backward
// of weights and activations), half with LoRA (no weight gradients of the frozen base).
std::optional<TimeToTrain> project_time_to_train(const ConvergenceBenchmark& b, int global_batch, double step_time_s);

// GPU-hours of a full pretraining: tokens / (tokens/s/GPU) / 3600.
double pretraining_gpu_hours(double tokens, double tokens_per_s_per_gpu);

// Loaded from data/calibration/mlperf_rcp.yaml.
std::vector<ConvergenceBenchmark> load_convergence_benchmarks(const std::string& path);
// data/calibration/pretraining_tokens.yaml: catalog model id -> tokens of its published pretraining.
std::map<std::string, double> load_pretraining_tokens(const std::string& path);

}  // namespace ct
