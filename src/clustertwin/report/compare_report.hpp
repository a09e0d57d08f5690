#pragma once
// Side-by-side results of one workload on several systems.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "clustertwin/train/step_simulator.hpp"

namespace ct {

struct ComparedRun {
  std::string label;
  TrainResult result;
};

std::string format_compare_text(const std::vector<ComparedRun>& runs);
nlohmann::ordered_json compare_to_json(const std::vector<ComparedRun>& runs);
std::string compare_to_csv(const std::vector<ComparedRun>& runs);

}  // namespace ct
