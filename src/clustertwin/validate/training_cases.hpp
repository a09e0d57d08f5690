#pragma once
// Validation of the training simulator against published measurements: every row of a CSV with
// the columns of data/measured/measured_training.csv is resolved onto catalog entries and options
// (config/name_resolver.hpp; a model the catalog lacks runs as a generic decoder from its
// architecture columns), simulated (an unpublished layout is searched), projected to the row's metric
// (whole-run metrics through train/time_to_train.hpp), and written back with predicted_value, status,
// reason, resolution and assumptions. The mapping never reads `value`, `notes` or `source`.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "clustertwin/config/catalogs.hpp"
#include "clustertwin/config/name_resolver.hpp"
#include "clustertwin/core/csv.hpp"
#include "clustertwin/train/step_simulator.hpp"
#include "clustertwin/train/time_to_train.hpp"
#include "clustertwin/validate/case_runner.hpp"

namespace ct {

class TrainingValidator {
 public:
  explicit TrainingValidator(const Catalogs& catalogs);
  // Predicts one row (field name -> value accessor by column name).
  CaseResult predict(const CsvTable& table, std::size_t row) const;
  // Reads `cases`, writes `out` (all input columns + predicted_value, status, reason).
  // Returns the number of rows per status.
  using Summary = CaseSummary;
  Summary run(const std::string& cases_path, const std::string& out_path, const CaseProgress& progress = {}) const;

 private:
  void project_whole_run(const std::string& model_id, const std::string& metric, const TrainResult& res, CaseResult& out) const;

  const Catalogs& cat_;
  std::vector<ConvergenceBenchmark> benchmarks_;
  std::map<std::string, double> pretraining_tokens_;
  std::vector<std::string> dedup_dispatch_models_;  // published recipes with a deduplicating MoE dispatcher
};

}  // namespace ct
