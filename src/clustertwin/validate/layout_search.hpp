#pragma once
// A measured run whose layout is not published (many MLPerf submissions) is predicted as a tuned
// submitter would run it: the planner's fastest layout under the run's published constraints.
#include <optional>

#include "clustertwin/cost/calibration.hpp"
#include "clustertwin/train/step_simulator.hpp"

namespace ct {

// `s.layout` carries the published constraints: GPU count, global batch, sequence length,
// precision, data-parallel sharding, LoRA, and the micro-batch when `micro_batch_published`.
// TP, PP, VP, CP, EP, micro-batch and recompute are searched. nullopt when no layout fits.
std::optional<TrainResult> simulate_fastest_layout(const TrainScenario& s, const Calibration& cal, bool micro_batch_published);

}  // namespace ct
