#include "clustertwin/validate/case_runner.hpp"

#include <fmt/format.h>

#include "clustertwin/core/atomic_file.hpp"
#include "clustertwin/core/error.hpp"

namespace ct {

CaseSummary run_cases(const std::string& cases_path, const std::string& out_path,
                      const std::vector<const char*>& required_columns, const CasePredictor& predict,
                      const CaseProgress& progress) {
  const CsvTable table = read_csv_file(cases_path);
  for (const char* col : required_columns)
    if (table.column(col) < 0) throw InputError(cases_path, col, "required column missing");
  std::vector<std::string> header = table.header;
  header.insert(header.end(), {"predicted_value", "status", "reason", "resolution", "assumptions", "generation",
                               "model_class", "precision_class", "stack"});
  std::string out = csv_line(header);
  CaseSummary sum;
  const int total = static_cast<int>(table.rows.size());
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    const CaseResult c = predict(table, r);
    std::vector<std::string> fields = table.rows[r];
    // No number where nothing was predicted (unsupported, or infeasible without an estimate).
    const bool no_value = c.status == "unsupported" || (c.status != "ok" && c.predicted == 0);
    fields.push_back(no_value ? "" : fmt::format("{:.6g}", c.predicted));
    fields.push_back(c.status);
    fields.push_back(c.reason);
    fields.push_back(c.resolution);
    fields.push_back(c.assumptions);
    // The comparable class (accuracy/prediction_range.hpp), for reports by generation and model class.
    for (const std::string* k : {&c.cls.generation, &c.cls.model_class, &c.cls.precision_class, &c.cls.stack})
      fields.push_back(*k);
    out += csv_line(fields);
    (c.status == "ok" ? sum.ok : c.status == "infeasible" ? sum.infeasible : sum.unsupported)++;
    if (progress && ((r + 1) % 16 == 0 || static_cast<int>(r + 1) == total)) progress(static_cast<int>(r + 1), total);
  }
  write_file_atomically(out_path, out);
  return sum;
}

}  // namespace ct
