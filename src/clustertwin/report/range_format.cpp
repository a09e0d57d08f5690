#include "clustertwin/report/range_format.hpp"

#include <fmt/format.h>

namespace ct {

std::pair<double, double> range_of(const PredictionRange& r, const RangedFigure& f) {
  return f.rate ? r.of_rate(f.value) : r.of_time(f.value);
}

nlohmann::ordered_json range_basis_json(const PredictionRange& r) {
  return {{"coverage", r.coverage}, {"comparable_runs", r.runs}, {"basis", r.basis}};
}

std::string range_cell(const PredictionRange& r, const RangedFigure& f, int decimals, double unit) {
  if (!r.available()) return "-";
  const auto [lo, hi] = range_of(r, f);
  return fmt::format("{:.{}f}-{:.{}f}", lo / unit, decimals, hi / unit, decimals);
}

nlohmann::ordered_json range_json(const PredictionRange& r, const std::vector<RangedFigure>& figures) {
  if (!r.available()) return nullptr;
  nlohmann::ordered_json j = range_basis_json(r);
  for (const RangedFigure& f : figures) {
    const auto [lo, hi] = range_of(r, f);
    j[f.name] = {lo, hi};
  }
  return j;
}

std::vector<std::string> range_csv_header(const std::vector<RangedFigure>& figures) {
  std::vector<std::string> h{"range_coverage", "range_runs"};
  for (const RangedFigure& f : figures) {
    h.push_back(f.name + "_low");
    h.push_back(f.name + "_high");
  }
  return h;
}

std::vector<std::string> range_csv_fields(const PredictionRange& r, const std::vector<RangedFigure>& figures) {
  if (!r.available()) return std::vector<std::string>(2 + 2 * figures.size());
  std::vector<std::string> v{fmt::format("{:g}", r.coverage), std::to_string(r.runs)};
  for (const RangedFigure& f : figures) {
    const auto [lo, hi] = range_of(r, f);
    v.push_back(fmt::format("{:.6g}", lo));
    v.push_back(fmt::format("{:.6g}", hi));
  }
  return v;
}

}  // namespace ct
