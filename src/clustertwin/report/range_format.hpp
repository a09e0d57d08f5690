#pragma once
// How a figure's range is written: JSON, CSV and text share one list of ranged figures, so every
// command carries the same fields (coverage, comparable_runs, basis, and [low, high] per figure).
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "clustertwin/accuracy/prediction_range.hpp"

namespace ct {

// A figure with a range: a rate (tokens/s: faster machine, larger) or a time-like one (step time,
// days, energy, cost, GPUs needed: faster machine, smaller).
struct RangedFigure {
  std::string name;  // the figure's JSON field, e.g. "step_time_s"
  double value = 0;
  bool rate = false;
};

std::pair<double, double> range_of(const PredictionRange& r, const RangedFigure& f);
// {"coverage", "comparable_runs", "basis"}: what every range object starts with.
nlohmann::ordered_json range_basis_json(const PredictionRange& r);
// A table cell: "low-high" in `unit` (the figure divided by it) with `decimals`, "-" without a range.
std::string range_cell(const PredictionRange& r, const RangedFigure& f, int decimals, double unit = 1);
// {"coverage", "comparable_runs", "basis", name: [low, high]...}; null when no range is available.
nlohmann::ordered_json range_json(const PredictionRange& r, const std::vector<RangedFigure>& figures);
// CSV columns: range_coverage, range_runs, then <name>_low, <name>_high per figure (empty without a range).
std::vector<std::string> range_csv_header(const std::vector<RangedFigure>& figures);
std::vector<std::string> range_csv_fields(const PredictionRange& r, const std::vector<RangedFigure>& figures);

}  // namespace ct
