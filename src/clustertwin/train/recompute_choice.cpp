#include "clustertwin/train/recompute_choice.hpp"

#include <algorithm>
#include <limits>

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

namespace {

bool fits_hbm(const TrainResult& r) { return r.peak_memory.total_bytes() <= r.memory_capacity_bytes; }

// No recompute, with the fewest layers per stage offloaded to host memory that fit HBM (HBM use
// falls as layers are offloaded, so a bisection finds it); infeasible if none does.
TrainResult fewest_offloaded_layers(TrainScenario s, const Calibration& cal, const SimulateOptions& opt,
                                    const TrainResult& no_recompute) {
  int stage_layers = std::numeric_limits<int>::max();
  for (int st = 0; st < s.layout.pp; ++st) {
    int layers = 0;
    for (int c = 0; c < s.layout.vp; ++c) layers += no_recompute.chunks[st * s.layout.vp + c].layers;
    stage_layers = std::min(stage_layers, layers);
  }
  auto memory_with = [&](int layers) {
    s.layout.activation_offload_layers = layers;
    return simulate_training_step(s, cal, {.timing = false});
  };
  int lo = 1, hi = stage_layers - 1;
  if (hi < lo || !fits_hbm(memory_with(hi))) return no_recompute;
  while (lo < hi) {
    const int mid = (lo + hi) / 2;
    if (fits_hbm(memory_with(mid)))
      hi = mid;
    else
      lo = mid + 1;
  }
  s.layout.activation_offload_layers = lo;
  return simulate_training_step(s, cal, opt);
}

}  // namespace

TrainResult simulate_fitting_memory(TrainScenario s, const Calibration& cal, const SimulateOptions& opt) {
  TrainResult r, no_recompute;
  for (const ParallelLayout& option : recompute_options(s.layout, s.profile, s.model)) {
    s.layout = option;
    r = simulate_training_step(s, cal, opt);
    if (option.recompute == Recompute::None) no_recompute = r;
    if (r.feasible) break;
  }
  if (no_recompute.feasible || s.system.host_memory_bytes_per_gpu <= 0 || s.system.host_link_bytes_per_s <= 0) return r;
  s.layout = no_recompute.scenario.layout;
  const TrainResult offload = fewest_offloaded_layers(s, cal, opt, no_recompute);
  return offload.feasible && (!r.feasible || offload.step_time_s < r.step_time_s) ? offload : r;
}

}  // namespace ct
