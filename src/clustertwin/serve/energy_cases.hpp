#pragma once
// Validation of the power model against metered runs: every row of a CSV with the columns of
// data/measured/measured_energy.csv (one metric per row: avg_power_w, energy_per_token_j,
// energy_j) is mapped onto a serving simulation at the row's operating point (benchmark lengths,
// batch cap, layout, power limit), and the simulated power or energy is taken in the row's scope
// (GPU-only, or the node at the wall). J/token is end to end: simulated power over simulated
// throughput, so it carries the throughput error too. The mapping reads the row's configuration
// columns (and the TP / output length the ML.ENERGY notes state), never `value`.
#include <map>
#include <string>

#include "clustertwin/config/catalogs.hpp"
#include "clustertwin/cost/power.hpp"
#include "clustertwin/serve/capacity.hpp"
#include "clustertwin/serve/inference_cases.hpp"
#include "clustertwin/serve/serving_calibration.hpp"
#include "clustertwin/validate/case_runner.hpp"

namespace ct::serve {

// The `validation:` section of data/calibration/power.yaml.
struct EnergyValidationTables {
  std::map<std::string, double> maxq_power_limit_w;  // "v4.1/h200-sxm-141gb/llama2-70b" -> W
  std::map<std::string, double> ml_energy_input_tokens;
  long long offline_requests = 3000;
};
EnergyValidationTables load_energy_validation_tables(const std::string& data_dir);

// The meter's scope named by a `power_scope` column; nullopt when the model has no such scope.
std::optional<cost::PowerScope> power_scope_for(const std::string& column);

// A simulated metered run: the whole deployment of the row's GPUs.
struct EnergyRun {
  bool feasible = false;
  std::string reason, layout;
  ServingPower power;            // all replicas
  double output_tokens_per_s = 0;  // all replicas
};

class EnergyValidator {
 public:
  EnergyValidator(const Catalogs& cat, const ServingCalibration& serving, const ValidationTables& mlperf,
                  const EnergyValidationTables& tables)
      : cat_(cat), serving_(serving), mlperf_(mlperf), tables_(tables) {}
  CaseResult predict(const CsvTable& table, std::size_t row) const;
  // Reads `cases`, writes `out` atomically (all input columns + predicted_value, status, reason).
  CaseSummary run(const std::string& cases_path, const std::string& out_path, const CaseProgress& progress = {}) const;

 private:
  const Catalogs& cat_;
  const ServingCalibration& serving_;
  const ValidationTables& mlperf_;
  const EnergyValidationTables& tables_;
  struct Case;
  EnergyRun simulate(const Case& c) const;
  // Rows of one run (power and J/token) share one simulation. Not thread-safe.
  mutable std::map<std::string, EnergyRun> cache_;
};

}  // namespace ct::serve
