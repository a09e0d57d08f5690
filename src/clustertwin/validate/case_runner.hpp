#pragma once
// The contract both validations share: read a CSV of measured runs, predict every row, write every
// input column plus predicted_value, status, reason, resolution and assumptions (all or nothing).
#include <functional>
#include <string>
#include <vector>

#include "clustertwin/accuracy/prediction_range.hpp"
#include "clustertwin/core/csv.hpp"

namespace ct {

struct CaseResult {
  std::string status;  // ok | unsupported | infeasible
  std::string reason;
  double predicted = 0;
  // How the row was reached beyond its published configuration, for the report's coverage table:
  // ';'-separated tags (layout searched, whole-run metric, ...) and the defaults assumed for what
  // the row does not say (e.g. "A100 SXM 80GB (memory not stated)").
  std::string resolution;
  std::string assumptions;
  ComparableClass cls;  // which measured runs are comparable (for ranges), when predicted
};

struct CaseSummary {
  int ok = 0, unsupported = 0, infeasible = 0;
};

using CasePredictor = std::function<CaseResult(const CsvTable&, std::size_t row)>;
using CaseProgress = std::function<void(int done, int total)>;

CaseSummary run_cases(const std::string& cases_path, const std::string& out_path,
                      const std::vector<const char*>& required_columns, const CasePredictor& predict,
                      const CaseProgress& progress = {});

}  // namespace ct
