#include "clustertwin/serve/capacity.hpp"
#include "clustertwin/core/number_check.hpp"
#include "clustertwin/core/units.hpp"
#include "clustertwin/serve/links.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace ct::serve {

namespace {
constexpr int kBisectionSteps = 12;          // 2^-12 of the saturated rate
constexpr double kSecondsPerHour = units::kSecondsPerHour;
constexpr double kTokensPerMillion = 1e6;
}  // namespace

bool Slo::met_by(const ServingResult& r) const {
  if (!r.feasible || r.completed < r.requests) return false;
  return (ttft_p99_s <= 0 || r.ttft_s.p99 <= ttft_p99_s) && (tpot_p99_s <= 0 || r.tpot_s.p99 <= tpot_p99_s);
}

ServingResult offline_run(const ReplicaSpec& r, const EngineLimits& limits, const Calibration& cal,
                          const LengthMix& lengths, long long requests) {
  return simulate_serving({r, 1, limits}, cal, offline_requests(lengths, requests));
}

double max_rate_meeting_slo(const ReplicaSpec& r, const EngineLimits& limits, const Calibration& cal,
                            const LengthMix& lengths, const Slo& slo, long long requests, std::uint64_t seed) {
  const ServingResult sat = offline_run(r, limits, cal, lengths, requests);
  if (!sat.feasible || sat.requests_per_s <= 0) return 0.0;
  auto meets = [&](double rate) {
    return slo.met_by(
        simulate_serving({r, 1, limits}, cal, poisson_requests(rate, lengths, requests, seed)));
  };
  double lo = 0, hi = sat.requests_per_s;
  if (meets(hi)) return hi;
  for (int i = 0; i < kBisectionSteps; ++i) {
    const double mid = 0.5 * (lo + hi);
    (meets(mid) ? lo : hi) = mid;
  }
  return lo;
}

std::vector<std::pair<int, int>> candidate_layouts(int gpus, int max_tp, int tp, int pp) {
  std::vector<std::pair<int, int>> out;
  const std::vector<int> tps = tp > 0 ? std::vector<int>{tp} : [&] {
    std::vector<int> v;
    for (int t = 1; t <= std::min(gpus, max_tp); t *= 2)
      if (gpus % t == 0) v.push_back(t);
    return v;
  }();
  const std::vector<int> pps = pp > 0 ? std::vector<int>{pp} : std::vector<int>{1, 2, 4, 8};
  for (int p : pps)
    for (int t : tps)
      if (gpus % (t * p) == 0) out.emplace_back(t, p);
  return out;
}

namespace {

// Wall power of one replica carrying `rps` requests/s (Poisson, the plan's lengths and seed).
double replica_wall_w(const ReplicaSpec& r, const EngineLimits& limits, const Calibration& cal, const PlanQuery& q,
                      double rps) {
  const ServingResult res = simulate_serving(
      {r, 1, limits}, cal,
      poisson_requests(rps, LengthMix::fixed(q.input_tokens, q.output_tokens), q.requests_per_trial, q.seed));
  return res.feasible ? res.power.node_wall_w : 0.0;
}

}  // namespace

CapacityAnswer best_throughput(const ReplicaSpec& base, const CapacityQuery& q, const Calibration& cal,
                               const EngineLimits& limits) {
  CapacityAnswer best;
  best.reason = "no layout of the GPUs fits the model";
  const Slo slo{q.ttft_limit_s, q.tpot_limit_s};
  int fitted_pp = 0;
  for (const auto& [tp, pp] : candidate_layouts(q.gpus, max_tensor_parallel_gpus(base.system), q.tp, q.pp)) {
    if (fitted_pp > 0 && pp > fitted_pp) break;  // deeper pipelines only when shallower ones do not fit
    ReplicaSpec r = base;
    r.tp = tp, r.pp = pp;
    if (!plan_memory(r, limits, cal.memory).fits) continue;
    fitted_pp = pp;
    const int replicas = q.gpus / (tp * pp);
    const long long per_replica = (q.requests + replicas - 1) / replicas;
    double rps = 0;
    if (slo.latency_bound())
      rps = max_rate_meeting_slo(r, limits, cal, q.lengths, slo, per_replica, q.seed);
    else
      rps = offline_run(r, limits, cal, q.lengths, std::max(per_replica, q.min_requests_per_replica)).requests_per_s;
    const double per_gpu = rps * q.lengths.mean_output() / (tp * pp);
    if (per_gpu > best.output_tokens_per_s_per_gpu) best = {true, "", tp, pp, replicas, per_gpu, rps};
  }
  if (best.feasible) return best;
  if (fitted_pp > 0) best.reason = "no layout meets the latency limits";
  return best;
}

PlanOption plan_system(const ReplicaSpec& base, const PlanQuery& q, const Calibration& cal, const EngineLimits& limits,
                       double usd_per_gpu_hour) {
  PlanOption best;
  best.system_id = base.system.id;
  best.reason = "no layout fits the model";
  double best_cost = std::numeric_limits<double>::infinity();
  bool any_fit = false, too_many_gpus = false;
  for (int gpus = 1; gpus <= q.max_gpus_per_replica; gpus *= 2) {
    for (const auto& [tp, pp] : candidate_layouts(gpus, max_tensor_parallel_gpus(base.system), 0, 0)) {
      if (tp * pp != gpus) continue;
      ReplicaSpec r = base;
      r.tp = tp, r.pp = pp;
      if (!plan_memory(r, limits, cal.memory).fits) continue;
      any_fit = true;
      const double rps = max_rate_meeting_slo(r, limits, cal, LengthMix::fixed(q.input_tokens, q.output_tokens), q.slo,
                                              q.requests_per_trial, q.seed);
      if (rps <= 0) continue;
      // Counted in double first: a huge load over a slow replica must not wrap to negative replicas.
      const double needed = std::ceil(q.load_rps / rps);
      if (!number_problem(needed * gpus, kPositiveCount).empty()) {
        too_many_gpus = true;
        continue;
      }
      const int replicas = static_cast<int>(needed);
      const double usd_per_hour = replicas * gpus * usd_per_gpu_hour;
      const double tokens_per_s = q.load_rps * q.output_tokens;
      // The deployment's wall power: simulated for every layout when it is the objective, else
      // only for a layout that wins on cost.
      auto deployment_wall_w = [&] { return replicas * replica_wall_w(r, limits, cal, q, q.load_rps / replicas); };
      const double energy_key = q.minimize_energy ? deployment_wall_w() : 0.0;
      const double cost_key = q.minimize_energy     ? energy_key
                              : usd_per_gpu_hour > 0 ? usd_per_hour
                                                     : static_cast<double>(replicas * gpus);
      if (cost_key >= best_cost) continue;
      best_cost = cost_key;
      const double wall_w = q.minimize_energy ? energy_key : deployment_wall_w();
      best = {base.system.id, true, "", tp, pp, replicas, replicas * gpus, rps, usd_per_hour,
              usd_per_hour / (tokens_per_s * kSecondsPerHour) * kTokensPerMillion, wall_w / tokens_per_s, wall_w};
    }
  }
  if (!best.feasible && too_many_gpus)
    best.reason = fmt::format("the load needs more than {:g} GPUs with every layout that meets the SLO", kMaxCount);
  else if (!best.feasible && any_fit)
    best.reason = fmt::format("no layout up to {} GPUs per replica meets the SLO", q.max_gpus_per_replica);
  return best;
}

}  // namespace ct::serve
