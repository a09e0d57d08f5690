#pragma once
// The training planner: enumerate every layout of a model on a system, drop those that do not fit
// (counting why), and find the best ones by simulation with an exact branch-and-bound: layouts
// are simulated in order of a proven lower bound on their objective, and the search stops when
// the next bound cannot beat the N-th best result, so no better feasible layout is ever skipped.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "clustertwin/cost/calibration.hpp"
#include "clustertwin/plan/run_projection.hpp"
#include "clustertwin/train/step_simulator.hpp"

namespace ct {

enum class Objective { Time, Cost, Energy };

struct PlanRequest {
  ModelSpec model;
  SystemSpec system;
  SoftwareProfile profile;
  std::vector<int> gpu_counts;
  std::int64_t seq_len = 4096;
  int global_batch = 0;  // sequences per step; 0 = about 4M tokens
  double tokens = 0;     // to train on
  std::vector<Precision> precisions{Precision::BF16};
  std::vector<DpSharding> shardings{DpSharding::Zero1};
  std::vector<int> micro_batches{1, 2, 4};
  std::vector<int> context_parallel{1, 2, 4, 8};
  std::vector<Recompute> recomputes{Recompute::None, Recompute::Selective, Recompute::Full};
  std::optional<double> deadline_s;
  Objective objective = Objective::Time;
  int top = 10;
  int threads = 1;
  bool exhaustive = false;  // simulate every feasible layout (brute force, for tests and --out)
  // Layouts without recompute that do not fit: offload the fewest layers' activations to host
  // memory that make them fit (systems with host memory: Grace on GB200/GB300).
  bool activation_offload = false;
  bool lora = false;  // fine-tuning with LoRA adapters (frozen base weights)
  bool ep_node_dedup = false;  // MoE dispatcher deduplicating per node (ParallelLayout::ep_node_dedup)
  Site site;
  Reliability reliability;
};

// Spreads the planner's work over processes (MPI ranks): each computes the items i with
// i % size == rank, then `gather` gives every process everyone's results. Every process then
// takes the same decisions, so the result is the same as one process's, bit for bit.
struct WorkSharing {
  int rank = 0, size = 1;
  // `records` holds one row of `width` doubles per item, filled by the item's owner and zero
  // elsewhere; on return every row holds its owner's values on every process.
  std::function<void(std::vector<double>& records, std::size_t width)> gather;
  bool mine(std::size_t item) const { return static_cast<int>(item % static_cast<std::size_t>(size)) == rank; }
};

struct PlanCandidate {
  ParallelLayout layout;
  bool feasible = false;
  std::string reason;          // why not, when infeasible
  bool simulated = false;      // false: bounded out (provably not in the top N) or infeasible
  double lower_bound_s = 0;
  double step_time_s = 0;
  double mfu = 0;
  double memory_bytes = 0;
  double it_power_w_per_gpu = 0;
  TimeBreakdown breakdown;
  RunProjection run;
  double objective_value = 0;
};

struct PlanResult {
  std::vector<PlanCandidate> candidates;  // every enumerated layout, in enumeration order
  std::vector<std::size_t> top;           // indices of the best, by objective
  std::vector<std::size_t> pareto;        // non-dominated in (time, cost, energy) among the simulated
  std::map<std::string, int> infeasible_reasons;
  int enumerated = 0, feasible = 0, simulated = 0, bounded = 0;
  std::string explanation;                // why the winner wins
};

using Progress = std::function<void(int done, int total)>;

std::vector<ParallelLayout> enumerate_layouts(const PlanRequest& req);
// When no layout meets the request: the `n` closest to doing so, i.e. the fastest simulated ones
// (they miss the deadline), or, when none fits in memory, those that need the least memory.
std::vector<std::size_t> closest_alternatives(const PlanResult& r, std::size_t n);
PlanResult plan_training(const PlanRequest& req, const Calibration& cal, const Progress& progress = {},
                         const WorkSharing& sharing = {});
double objective_of(Objective o, const RunProjection& run);

}  // namespace ct
