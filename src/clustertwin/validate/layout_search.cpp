#include "clustertwin/validate/layout_search.hpp"

#include "clustertwin/plan/planner.hpp"

namespace ct {

std::optional<TrainResult> simulate_fastest_layout(const TrainScenario& s, const Calibration& cal, bool micro_batch_published) {
  const ParallelLayout& given = s.layout;
  PlanRequest req;
  req.model = s.model;
  req.system = s.system;
  req.profile = s.profile;
  req.gpu_counts = {given.gpus};
  req.seq_len = given.seq_len;
  req.global_batch = given.global_batch;
  req.tokens = static_cast<double>(given.global_batch) * static_cast<double>(given.seq_len);  // one step: ranks by step time
  req.precisions = {given.precision};
  req.shardings = {given.sharding};
  if (micro_batch_published) req.micro_batches = {given.micro_batch};
  req.lora = given.lora;
  req.ep_node_dedup = given.ep_node_dedup;
  req.activation_offload = s.system.host_memory_bytes_per_gpu > 0;
  req.objective = Objective::Time;
  req.top = 1;
  const PlanResult plan = plan_training(req, cal);
  if (plan.top.empty()) return std::nullopt;
  TrainScenario best = s;
  best.layout = plan.candidates[plan.top.front()].layout;
  return simulate_training_step(best, cal, {.keep_timeline = false});
}

}  // namespace ct
