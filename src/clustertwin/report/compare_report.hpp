#pragma once
// Side-by-side results of one workload on several systems.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "clustertwin/accuracy/prediction_range.hpp"
#include "clustertwin/train/step_simulator.hpp"

namespace ct {

struct ComparedRun {
  std::string label;
  TrainResult result;
  PredictionRange range;  // of its step time, throughput and energy (none: no range)
};

// The site the energy is counted at: facility energy = IT energy x PUE (none: IT only).
struct EnergySite {
  std::string name;  // empty: no site given
  double pue = 1.0;
};

std::string format_compare_text(const std::vector<ComparedRun>& runs, const EnergySite& site = {});
nlohmann::ordered_json compare_to_json(const std::vector<ComparedRun>& runs, const EnergySite& site = {});
std::string compare_to_csv(const std::vector<ComparedRun>& runs, const EnergySite& site = {});
// Stacked bars: GPU-seconds per million tokens per system, split by where the step's time goes.
std::string compare_svg(const std::vector<ComparedRun>& runs);

}  // namespace ct
