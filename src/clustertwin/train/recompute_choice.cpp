#include "clustertwin/train/recompute_choice.hpp"

#include <algorithm>

namespace ct {

namespace {

// Recompute modules that change anything for this model.
unsigned useful_modules(const ModelSpec& m) {
  unsigned useful = kRecomputeCoreAttn | kRecomputeLayerNorm;
  bool dense_ffn = false;
  for (std::int64_t i = 0; i < m.layers; ++i) dense_ffn |= m.layer(i).ffn == FfnKind::Dense;
  if (dense_ffn) useful |= kRecomputeMlp;
  if (m.moe.enabled()) useful |= kRecomputeMoeAct;
  if (m.mla.enabled()) useful |= kRecomputeMlaUpProj;
  return useful;
}

}  // namespace

std::vector<ParallelLayout> recompute_options(const ParallelLayout& l, const SoftwareProfile& p, const ModelSpec& m) {
  std::vector<ParallelLayout> options;
  auto add = [&](Recompute mode, unsigned modules) {
    ParallelLayout o = l;
    o.recompute = mode;
    o.recompute_modules = modules;
    options.push_back(o);
  };
  add(Recompute::None, kRecomputeCoreAttn);
  // Without a module ladder the stack offers Korthikanti's selective recompute (the attention core).
  const std::vector<unsigned> ladder = p.recompute_ladder.empty() ? std::vector<unsigned>{kRecomputeCoreAttn} : p.recompute_ladder;
  std::vector<unsigned> seen;
  for (unsigned ladder_step : ladder) {
    const unsigned modules = ladder_step & useful_modules(m);
    if (modules == 0 || std::find(seen.begin(), seen.end(), modules) != seen.end()) continue;
    seen.push_back(modules);
    add(Recompute::Selective, modules);
  }
  add(Recompute::Full, kRecomputeCoreAttn);
  return options;
}

TrainResult simulate_with_fitting_recompute(TrainScenario s, const Calibration& cal, const SimulateOptions& opt) {
  TrainResult r;
  for (const ParallelLayout& option : recompute_options(s.layout, s.profile, s.model)) {
    s.layout = option;
    r = simulate_training_step(s, cal, opt);
    if (r.feasible) break;
  }
  return r;
}

}  // namespace ct
