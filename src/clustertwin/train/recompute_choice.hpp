#pragma once
// Choosing activation recompute the way a user of the stack does: as little as fits in memory.
#include <vector>

#include "clustertwin/train/step_simulator.hpp"

namespace ct {

// The recompute settings the stack offers for this model, cheapest first: none, the profile's
// selective-module ladder (modules the model has no use for dropped, repeats removed; without a
// ladder, the attention core), full.
std::vector<ParallelLayout> recompute_options(const ParallelLayout& l, const SoftwareProfile& p, const ModelSpec& m);

// Simulates the options in order and returns the first that fits memory (the least recompute,
// hence the fastest of those that fit); when none fits, the result of full recompute
// (infeasible, with its reason).
TrainResult simulate_with_fitting_recompute(TrainScenario s, const Calibration& cal, const SimulateOptions& opt = {});

}  // namespace ct
