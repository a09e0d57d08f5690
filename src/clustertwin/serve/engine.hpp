#pragma once
// A vLLM / TensorRT-LLM style serving engine, one iteration at a time: continuous (in-flight)
// batching, chunked prefill under a token budget, a paged KV cache of fixed-size blocks, FCFS
// admission when the blocks for a prompt are free (above a watermark), and preemption by
// recompute of the most recently admitted request when a decoding sequence needs a block and none
// is left (vLLM's default policy). A replica with PP stages runs PP such engines ("virtual
// engines", as vLLM does), each with its share of the KV cache and one batch in the pipeline.
#include <cstdint>
#include <string>
#include <vector>

#include "clustertwin/serve/iteration_cost.hpp"
#include "clustertwin/serve/workload.hpp"

namespace ct::serve {

struct RequestResult {
  double ttft_s = 0;      // arrival -> first output token
  double e2e_s = 0;       // arrival -> last output token
  double tpot_s = 0;      // (e2e - ttft) / (output - 1); 0 for one-token outputs
  int preemptions = 0;
  bool done = false;
};

struct OccupancySample {
  double time_s = 0;
  double kv_used_fraction = 0;
  int running = 0;
  int waiting = 0;
};

struct IterationRecord {
  double start_s = 0, duration_s = 0;
  int prefill_tokens = 0, decode_sequences = 0;
};

struct EngineOptions {
  EngineLimits limits;
  long long kv_blocks = 0;         // blocks of this engine
  double sample_interval_s = 1.0;  // KV occupancy / batch samples
  bool keep_iterations = false;    // for --trace
  // Every iteration takes the cost model's time x this: the ends of a prediction range, where the
  // engine runs as much slower or faster as comparable measured runs were than predicted.
  double time_scale = 1.0;
};

struct EngineResult {
  std::vector<RequestResult> requests;  // same order as the input
  double busy_s = 0;                    // sum of iteration times
  double busy_gpu_energy_j = 0;         // one GPU's energy over the iterations (power x time)
  double busy_gpu_load_s = 0;           // sum of its load (cost/power.hpp) x iteration time
  double end_s = 0;                     // last iteration's end
  long long iterations = 0;
  long long preemptions = 0;
  double running_sum = 0;               // sum over iterations of running sequences (mean batch)
  std::vector<OccupancySample> timeline;
  std::vector<IterationRecord> iterations_log;
};

// Runs `requests` (sorted by arrival) through one engine. Throws InputError when a request cannot
// fit the engine's KV cache even alone.
EngineResult run_engine(const std::vector<Request>& requests, const IterationCostModel& cost, const EngineOptions& o);

}  // namespace ct::serve
