#include "clustertwin/cluster/simulated_durations.hpp"

#include <fmt/format.h>

#include "clustertwin/core/error.hpp"
#include "clustertwin/plan/planner.hpp"

namespace ct::cluster {

TrainingRunCache::TrainingRunCache(const Catalogs& catalogs, Reliability reliability, std::string profile)
    : cat_(catalogs), rel_(reliability), profile_(std::move(profile)) {}

namespace {

// The small search: BF16, ZeRO-1, micro-batch 1, no context parallelism, selective or full
// recompute; TP, PP, VP and EP are searched by the planner. Fastest step time wins.
PlanRequest small_search(const ModelSpec& model, const SystemSpec& system, const SoftwareProfile& profile, const TrainingSpec& t,
                         int gpus, const Reliability& rel) {
  PlanRequest req;
  req.model = model;
  req.system = system;
  req.profile = profile;
  req.gpu_counts = {gpus};
  req.seq_len = t.seq_len;
  req.global_batch = t.global_batch;
  req.tokens = t.tokens;
  req.micro_batches = {1};
  req.context_parallel = {1};
  req.recomputes = {Recompute::Selective, Recompute::Full};
  req.objective = Objective::Time;
  req.top = 1;
  req.threads = 1;
  req.reliability = rel;
  return req;
}

}  // namespace

const SimulatedRun& TrainingRunCache::get(const TrainingSpec& t, const std::string& system, int gpus, const std::string& where) {
  const auto key = std::make_tuple(t.model, system, gpus, t.tokens, t.seq_len, t.global_batch);
  if (auto it = runs_.find(key); it != runs_.end()) return it->second;
  const PlanRequest req = small_search(cat_.model(t.model), cat_.hardware.system(system), cat_.profile(profile_), t, gpus, rel_);
  const PlanResult plan = plan_training(req, cat_.calibration);
  if (plan.top.empty())
    throw InputError(where, "training", fmt::format("no layout of {} fits {} GPUs of {}", t.model, gpus, system));
  const PlanCandidate& best = plan.candidates[plan.top.front()];
  SimulatedRun r;
  r.step_time_s = best.step_time_s;
  r.tokens_per_step = static_cast<double>(t.global_batch) * static_cast<double>(t.seq_len);
  r.compute_s = best.run.compute_time_s;
  r.checkpoint_write_s = best.run.checkpoint_write_s;
  r.checkpoint_interval_s = best.run.checkpoint_interval_s;
  r.layout = best.layout;
  return runs_.emplace(key, r).first->second;
}

}  // namespace ct::cluster
