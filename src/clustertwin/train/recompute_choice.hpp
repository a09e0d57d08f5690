#pragma once
// Choosing activation recompute (or offload) the way a user of the stack does: as little as fits in memory.
#include <vector>

#include "clustertwin/train/step_simulator.hpp"

namespace ct {

// The recompute settings the stack offers for this model, cheapest first: none, the profile's
// selective-module ladder (modules the model has no use for dropped, repeats removed; without a
// ladder, the attention core), full.
std::vector<ParallelLayout> recompute_options(const ParallelLayout& l, const SoftwareProfile& p, const ModelSpec& m);

// The fewest layers per pipeline stage whose activations, offloaded to host memory, make the
// layout fit in HBM; 0 if the system has no host memory or offloading all but each stage's last
// layer is not enough. (Host capacity is checked by the simulation that uses it.)
int fewest_offloaded_layers(TrainScenario s, const Calibration& cal, PassCache* cache = nullptr);

// The fastest way to fit memory that the stack's users take: the options above in order, the first
// that fits (the least recompute); and, where the system has host memory, no recompute with the
// fewest layers' activations offloaded that fit, if that is faster. When nothing fits, the result
// of full recompute (infeasible, with its reason).
TrainResult simulate_fitting_memory(TrainScenario s, const Calibration& cal, const SimulateOptions& opt = {});

}  // namespace ct
