#pragma once
// Validation of the serving simulator against published inference measurements: every row of a
// CSV with the columns of data/measured/measured_inference.csv is mapped onto catalog entries by
// the name resolver (config/name_resolver.hpp), simulated, and written back with predicted_value, status and reason (the
// contract of the training validation). The mapping never reads `value`, `notes` or `source`.
#include <map>
#include <optional>
#include <string>

#include "clustertwin/config/catalogs.hpp"
#include "clustertwin/core/csv.hpp"
#include "clustertwin/serve/capacity.hpp"
#include "clustertwin/serve/serving_calibration.hpp"
#include "clustertwin/serve/workload.hpp"
#include "clustertwin/validate/case_runner.hpp"

namespace ct::serve {

// The explicit mapping tables (tested entry by entry).
// MLPerf benchmark id ("llama2-70b", ...) named in the model column, if any.
std::optional<std::string> mlperf_benchmark_for(const std::string& model_column);
// Weight format; a blank column (MLPerf v4.1) means FP8 on Hopper and FP4 on Blackwell, the
// formats of every closed NVIDIA-GPU entry of that round.
std::optional<Precision> inference_precision_for(const std::string& precision_column, const std::string& gpu_arch);

struct MlperfBenchmark {
  double input_tokens = 0, output_tokens = 0;
  // The dataset's request lengths: a sample of its (input, output) pairs where the data folder has
  // one (`lengths:`), else the means as fixed lengths.
  LengthMix lengths = LengthMix::fixed(1, 1);
  long long samples = 0;
  double server_ttft_s = 0, server_tpot_s = 0, interactive_ttft_s = 0, interactive_tpot_s = 0;
};
struct ValidationTables {
  std::map<std::string, MlperfBenchmark> mlperf;
  long long trtllm_bench_requests = 3000;
  long long server_trial_requests_per_gpu = 250;  // Poisson requests per bisection trial
  long long offline_min_requests_per_replica = 3000;  // MLPerf Offline is a steady-state run
};
// The `mlperf:` section of data/calibration/serving.yaml.
ValidationTables load_validation_tables(const std::string& data_dir);

using InferenceCaseResult = CaseResult;

class InferenceValidator {
 public:
  InferenceValidator(const Catalogs& cat, const ServingCalibration& serving, const ValidationTables& tables)
      : cat_(cat), serving_(serving), tables_(tables) {}
  InferenceCaseResult predict(const CsvTable& table, std::size_t row) const;
  using Summary = CaseSummary;
  // Reads `cases`, writes `out` atomically (all input columns + predicted_value, status, reason).
  Summary run(const std::string& cases_path, const std::string& out_path, const CaseProgress& progress = {}) const;

 private:
  const Catalogs& cat_;
  const ServingCalibration& serving_;
  const ValidationTables& tables_;
  // Memo of simulated answers by configuration: a run published as system and per-GPU throughput
  // is simulated once. Not thread-safe, like the validator as a whole.
  mutable std::map<std::string, CapacityAnswer> cache_;
};

}  // namespace ct::serve
