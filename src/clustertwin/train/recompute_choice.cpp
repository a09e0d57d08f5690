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

int fewest_offloaded_layers(TrainScenario s, const Calibration& cal, PassCache* cache) {
  if (s.system.host_memory_bytes_per_gpu <= 0 || s.system.host_link_bytes_per_s <= 0) return 0;
  auto memory_with = [&](int layers) {
    s.layout.activation_offload_layers = layers;
    return simulate_training_step(s, cal, {.keep_timeline = false, .timing = false, .cache = cache});
  };
  auto fits_hbm_with = [&](int layers) {
    const TrainResult r = memory_with(layers);
    return r.peak_memory.total_bytes() <= r.memory_capacity_bytes;
  };
  const TrainResult none = memory_with(0);
  int stage_layers = std::numeric_limits<int>::max();
  for (int st = 0; st < s.layout.pp; ++st) {
    int layers = 0;
    for (int c = 0; c < s.layout.vp; ++c) layers += none.chunks[st * s.layout.vp + c].layers;
    stage_layers = std::min(stage_layers, layers);
  }
  // HBM use falls as layers are offloaded: bisect for the fewest that fit.
  int lo = 1, hi = stage_layers - 1;
  if (hi < lo || !fits_hbm_with(hi)) return 0;
  while (lo < hi) {
    const int mid = (lo + hi) / 2;
    if (fits_hbm_with(mid))
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

TrainResult simulate_fitting_memory(TrainScenario s, const Calibration& cal, const SimulateOptions& opt) {
  TrainResult r;
  ParallelLayout no_recompute;
  bool none_fits = false;
  for (const ParallelLayout& option : recompute_options(s.layout, s.profile, s.model)) {
    s.layout = option;
    r = simulate_training_step(s, cal, opt);
    if (option.recompute == Recompute::None) no_recompute = option, none_fits = r.feasible;
    if (r.feasible) break;
  }
  if (none_fits) return r;
  s.layout = no_recompute;
  s.layout.activation_offload_layers = fewest_offloaded_layers(s, cal);
  if (s.layout.activation_offload_layers == 0) return r;
  const TrainResult offload = simulate_training_step(s, cal, opt);
  return offload.feasible && (!r.feasible || offload.step_time_s < r.step_time_s) ? offload : r;
}

}  // namespace ct
