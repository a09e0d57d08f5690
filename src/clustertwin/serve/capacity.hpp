#pragma once
// Capacity questions answered by simulating replicas: the saturated (Offline) throughput of a
// layout, the highest Poisson load a replica carries within p99 TTFT/TPOT limits (MLPerf Server),
// the best layout for a GPU count, and the cheapest deployment for a load under SLOs (serve-plan).
#include <string>
#include <vector>

#include "clustertwin/cost/calibration.hpp"
#include "clustertwin/serve/replica.hpp"
#include "clustertwin/serve/serving.hpp"

namespace ct::serve {

struct Slo {
  double ttft_p99_s = 0;  // 0 = no limit: saturated throughput
  double tpot_p99_s = 0;
  bool latency_bound() const { return ttft_p99_s > 0 || tpot_p99_s > 0; }
  bool met_by(const ServingResult& r) const;
};

struct CapacityQuery {
  int gpus = 1;
  int tp = 0, pp = 0;  // 0 = search
  LengthMix lengths = LengthMix::fixed(1, 1);
  long long requests = 1000;  // simulated requests (all replicas together)
  long long min_requests_per_replica = 0;  // saturated runs: at least this many per replica (steady state)
  double ttft_limit_s = 0, tpot_limit_s = 0;
  std::uint64_t seed = 1;
};

struct CapacityAnswer {
  bool feasible = false;
  std::string reason;
  int tp = 0, pp = 0, replicas = 0;
  double output_tokens_per_s_per_gpu = 0;
  double requests_per_s_per_replica = 0;
};

// Saturated throughput of one replica fed `requests` all at t = 0.
ServingResult offline_run(const ReplicaSpec& r, const EngineLimits& limits, const Calibration& cal,
                          const LengthMix& lengths, long long requests);

// Highest Poisson arrival rate (requests/s) one replica sustains with the SLO met, by bisection
// between 0 and its saturated rate; 0 when even a trickle misses the SLO.
double max_rate_meeting_slo(const ReplicaSpec& r, const EngineLimits& limits, const Calibration& cal,
                            const LengthMix& lengths, const Slo& slo, long long requests, std::uint64_t seed);

// Layouts tried when the query leaves TP/PP open: TP powers of two up to `max_tp` (one node: its
// NVLink domain, or all its GPUs over PCIe) that divide the GPUs, PP 1 first, deeper pipelines
// only when nothing fits without them.
std::vector<std::pair<int, int>> candidate_layouts(int gpus, int max_tp, int tp, int pp);

// The layout of `q.gpus` GPUs with the highest throughput per GPU (Offline), or the highest load
// within the query's latency limits. `base` gives model, system and formats; TP/PP are set here
// (attention DP is not searched: see docs/serving.md).
CapacityAnswer best_throughput(const ReplicaSpec& base, const CapacityQuery& q, const Calibration& cal,
                               const EngineLimits& limits);

// serve-plan: per system, the cheapest replica layout and count that carries `load_rps` within the SLO.
struct PlanOption {
  std::string system_id;
  bool feasible = false;
  std::string reason;
  int tp = 0, pp = 0, replicas = 0, gpus = 0;
  double max_rps_per_replica = 0;
  double usd_per_hour = 0;
  double usd_per_million_output_tokens = 0;
  double joules_per_output_token = 0;  // at the node wall, each replica simulated at its share of the load
  double wall_w = 0;                   // the deployment at the node wall
};
struct PlanQuery {
  int input_tokens = 0, output_tokens = 0;
  double load_rps = 0;
  Slo slo;
  int max_gpus_per_replica = 64;
  long long requests_per_trial = 2000;
  std::uint64_t seed = 1;
  bool minimize_energy = false;  // the layout with the fewest J per output token, not the cheapest
};
PlanOption plan_system(const ReplicaSpec& base, const PlanQuery& q, const Calibration& cal, const EngineLimits& limits,
                       double usd_per_gpu_hour);

}  // namespace ct::serve
