#include "clustertwin/train/recompute_choice.hpp"

namespace ct {

std::vector<ParallelLayout> recompute_options(const ParallelLayout& l, const SoftwareProfile& p) {
  std::vector<ParallelLayout> options;
  auto add = [&](Recompute mode, unsigned modules) {
    ParallelLayout o = l;
    o.recompute = mode;
    o.recompute_modules = modules;
    options.push_back(o);
  };
  add(Recompute::None, kRecomputeCoreAttn);
  for (unsigned modules : p.recompute_ladder) add(Recompute::Selective, modules);
  add(Recompute::Full, kRecomputeCoreAttn);
  return options;
}

TrainResult simulate_with_fitting_recompute(TrainScenario s, const Calibration& cal, const SimulateOptions& opt) {
  TrainResult r;
  for (const ParallelLayout& option : recompute_options(s.layout, s.profile)) {
    s.layout = option;
    r = simulate_training_step(s, cal, opt);
    if (r.feasible) break;
  }
  return r;
}

}  // namespace ct
