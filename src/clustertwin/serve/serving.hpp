#pragma once
// A serving deployment: `replicas` copies of one replica layout behind a round-robin load
// balancer, every request simulated through its engine; latency percentiles, throughput, KV-cache
// occupancy and GPU utilisation.
#include <string>
#include <vector>

#include "clustertwin/cost/calibration.hpp"
#include "clustertwin/cost/power.hpp"
#include "clustertwin/serve/engine.hpp"
#include "clustertwin/serve/replica.hpp"
#include "clustertwin/serve/workload.hpp"

namespace ct::serve {

struct Deployment {
  ReplicaSpec replica;
  int replicas = 1;
  EngineLimits limits;
  double sample_interval_s = 1.0;
  bool keep_iterations = false;  // log engine 0's iterations (for --trace)
  double time_scale = 1.0;       // iteration times x this (EngineOptions::time_scale)
  int gpus() const { return replicas * replica.gpus(); }
};

struct Percentiles {
  double mean = 0, p50 = 0, p90 = 0, p99 = 0;
};
// Nearest-rank percentiles (p99 of 100 values is the 99th smallest). Empty input gives zeros.
Percentiles percentiles(std::vector<double> values);

// Power and energy of the deployment over the run, by what a meter would include (cost/power.hpp):
// its GPUs alone (NVML), its nodes at the power supplies' DC side, at the wall.
struct ServingPower {
  double gpu_w_per_gpu = 0;        // mean over the makespan, idle gaps included
  double gpu_load = 0;             // mean share of the GPUs' dynamic range
  double gpu_w = 0, node_dc_w = 0, node_wall_w = 0;  // the whole deployment
  double joules_per_output_token(cost::PowerScope s, double output_tokens_per_s) const;
  double watts(cost::PowerScope s) const;
};

struct ServingResult {
  bool feasible = false;
  std::string reason;  // when !feasible
  MemoryPlan memory;
  long long requests = 0, completed = 0, preemptions = 0, iterations = 0;
  double makespan_s = 0;  // first arrival -> last token
  double requests_per_s = 0, output_tokens_per_s = 0, output_tokens_per_s_per_gpu = 0;
  Percentiles ttft_s, tpot_s, e2e_s;
  double mean_batch = 0;          // running sequences per iteration
  double gpu_utilization = 0;     // busy iteration time / makespan, mean over engines
  double peak_kv_used_fraction = 0;
  ServingPower power;
  std::vector<OccupancySample> timeline;      // engine 0
  std::vector<IterationRecord> iterations_log; // engine 0, if asked
  std::vector<RequestResult> per_request;      // input order
};

// Throws InputError for bad layouts (GPUs without the weight format, a request larger than the KV
// cache); a model that does not fit is a result (feasible = false, with the reason).
ServingResult simulate_serving(const Deployment& d, const Calibration& cal, const std::vector<Request>& requests);

// The deployment's power when each GPU draws `gpu_w_per_gpu` at `gpu_load` on average; its
// nodes are whole nodes of the system (a replica smaller than a node pays its share of one).
ServingPower power_of(const Deployment& d, const PowerCalibration& cal, double gpu_w_per_gpu, double gpu_load);

// A timed workload the deployment cannot keep up with: requests complete more than 10% slower
// than they arrive, so queues and TTFT grow with the run's length instead of settling. "" when
// it keeps up, or when every request arrives at once (offline: saturating is the point).
std::string overload_note(const std::vector<Request>& requests, const ServingResult& r);

}  // namespace ct::serve
