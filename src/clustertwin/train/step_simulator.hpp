#pragma once
// One training step of one model on one machine with one layout: builds the per-stage work,
// runs it through the event engine (one representative rank per pipeline stage) and explains
// the result.
#include <array>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "clustertwin/cost/calibration.hpp"
#include "clustertwin/hw/hardware.hpp"
#include "clustertwin/model/model_spec.hpp"
#include "clustertwin/parallel/layout.hpp"
#include "clustertwin/parallel/topology.hpp"
#include "clustertwin/sim/task_graph.hpp"
#include "clustertwin/train/memory_model.hpp"
#include "clustertwin/train/pipeline_schedule.hpp"
#include "clustertwin/workload/ops.hpp"

namespace ct {

struct TrainScenario {
  ModelSpec model;
  SystemSpec system;
  ParallelLayout layout;
  SoftwareProfile profile;
};

// Where the step time of the critical pipeline stage goes. The parts add up to the step time.
struct TimeBreakdown {
  double compute_s = 0;        // GEMMs, attention, element-wise (recompute included)
  double recompute_s = 0;      // of which recompute
  double tp_exposed_s = 0;     // TP collectives not hidden under GEMMs
  double cp_exposed_s = 0;     // ring-attention exchange not hidden under attention
  double ep_exposed_s = 0;     // expert-parallel all-to-all not hidden
  double dp_exposed_s = 0;     // data-parallel gradient/parameter traffic not hidden
  double optimizer_s = 0;      // the optimizer step
  double overhead_s = 0;       // host-side per-step and per-micro-batch costs
  double offload_s = 0;        // activation copies to and from host memory not hidden under compute
  double bubble_s = 0;         // pipeline fill/drain and waits for neighbouring stages (incl. p2p)
};

// What the trace writer needs to show each pass op by op.
struct ChunkInfo {
  int stage = 0, chunk = 0, first_layer = 0, layers = 0;
  bool embedding = false, lm_head = false;
  int mtp_layers = 0;        // multi-token-prediction modules after the LM head (last chunk)
  int offloaded_layers = 0;  // its first layers whose activations go to host memory
  double params = 0;         // dense parameters on one GPU
  double expert_params = 0;  // routed-expert parameters on one GPU
};

enum TaskTag : std::int32_t { kTagForward = 1, kTagBackward, kTagOptimizer, kTagDpGather, kTagDpReduce, kTagPpSend };

// The cost of every layer kind of the model for one layout, one micro-batch: what the trace
// expands and the step is built from. Layer costs depend on only part of the layout (not on PP,
// VP or DP), so a search shares them between layouts through a PassCache.
struct LayerCosts {
  std::vector<LayerSpec> kinds;       // distinct layer kinds of the model
  std::vector<LayerPasses> kind_passes;
  std::vector<int> kind_of_layer;     // per layer, index into kinds
  std::vector<double> kind_activation_bytes;  // per kind, saved for the backward pass, one micro-batch
  LayerPasses embedding, lm_head;
};

// Work shared by the simulations of many layouts (a planner's search); the layer costs are valid
// for one model, system, software profile and calibration.
struct PassCache {
  std::map<std::vector<double>, std::shared_ptr<const LayerCosts>> entries;
  // in_flight_peaks of the pipeline schedules, by (stage, pp, vp, micro-batches)
  std::map<std::array<int, 4>, std::vector<std::vector<int>>> schedule_peaks;
};

struct TrainResult {
  TrainScenario scenario;
  bool feasible = true;
  std::string infeasible_reason;

  double step_time_s = 0;          // 0 when only the bound was computed (timing = false)
  // No step can be shorter: the busiest stage's compute stream (its passes run one after another)
  // plus the optimizer, with every communication and bubble taken as free.
  double lower_bound_s = 0;
  // The busiest stage's work per micro-batch (forward + backward of all its chunks): how much a
  // long accumulation loop grows per micro-batch once that stage is saturated.
  double busiest_stage_microbatch_s = 0;
  double tokens_per_step = 0;
  double tokens_per_s_per_gpu = 0;
  double model_flops_per_step = 0;   // Megatron formula (see cost/flops.hpp)
  double model_tflops_per_gpu = 0;
  double peak_flops = 0;             // dense peak of the GEMM format MFU is measured against
  double mfu = 0;                    // fraction
  // Energy (see cost/power.hpp): IT power and energy of the whole job for one step.
  double gpu_activity = 0;           // compute share of the step, critical stage
  double gpu_power_w = 0;            // one GPU's mean draw over the step
  double it_power_w_per_gpu = 0;     // its node share at the wall (host and supply losses included)
  double energy_per_step_j = 0;      // all GPUs and their nodes, IT only (no PUE)
  double energy_per_token_j = 0;
  int critical_stage = 0;
  TimeBreakdown breakdown;           // of the critical stage
  std::vector<TimeBreakdown> stage_breakdowns;
  std::vector<MemoryBreakdown> stage_memory;
  MemoryBreakdown peak_memory;       // of the stage with the most memory
  double memory_capacity_bytes = 0;
  LayoutTopology topology;

  // Timeline (kept for trace output).
  sim::TaskGraph graph;
  std::vector<ChunkInfo> chunks;     // index: stage * vp + chunk
  std::shared_ptr<const LayerCosts> layers;
};

struct SimulateOptions {
  bool keep_timeline = true;  // false drops per-op lists (faster, for searches and validation)
  bool timing = true;         // false: memory and the step-time lower bound only (no event simulation)
  PassCache* cache = nullptr; // reuse layer costs (one model, system, profile and calibration only)
};

// Throws InputError for layouts that cannot run at all (e.g. FP8 on a GPU without FP8 tensor cores);
// a layout that runs but does not fit memory is returned with feasible = false and the reason.
TrainResult simulate_training_step(const TrainScenario& s, const Calibration& cal, const SimulateOptions& opt = {});

}  // namespace ct
