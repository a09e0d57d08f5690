#include "clustertwin/serve/serving.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace ct::serve {

Percentiles percentiles(std::vector<double> v) {
  Percentiles p;
  if (v.empty()) return p;
  p.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  auto rank = [&](double q) {
    const std::size_t k = static_cast<std::size_t>(std::max(1.0, std::ceil(q * static_cast<double>(v.size())))) - 1;
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
  };
  p.p50 = rank(0.50);
  p.p90 = rank(0.90);
  p.p99 = rank(0.99);
  return p;
}

ServingResult simulate_serving(const Deployment& d, const Calibration& cal, const std::vector<Request>& requests) {
  ServingResult out;
  out.requests = static_cast<long long>(requests.size());
  out.memory = plan_memory(d.replica, d.limits, cal.memory);
  if (!out.memory.fits) {
    out.reason = out.memory.reason;
    return out;
  }
  const IterationCostModel cost(d.replica, cal, d.limits);
  EngineOptions eo{d.limits, out.memory.kv_blocks_per_engine, d.sample_interval_s, false, d.time_scale};
  // Round-robin over replicas, and inside a replica over its PP virtual engines.
  const std::size_t engines = static_cast<std::size_t>(d.replicas) * static_cast<std::size_t>(d.replica.pp);
  std::vector<std::vector<Request>> shards(engines);
  std::vector<std::vector<std::size_t>> origin(engines);
  for (std::size_t i = 0; i < requests.size(); ++i) {
    shards[i % engines].push_back(requests[i]);
    origin[i % engines].push_back(i);
  }
  out.per_request.resize(requests.size());
  double busy_fraction_sum = 0, running_sum = 0, end_s = 0;
  double dynamic_j = 0, load_s = 0;  // above idle, all GPUs (see power_of)
  const double first_arrival_s = requests.empty() ? 0.0 : requests.front().arrival_s;
  for (std::size_t e = 0; e < engines; ++e) {
    if (shards[e].empty()) continue;
    eo.keep_iterations = d.keep_iterations && e == 0;
    EngineResult r = run_engine(shards[e], cost, eo);
    for (std::size_t k = 0; k < r.requests.size(); ++k) out.per_request[origin[e][k]] = r.requests[k];
    out.preemptions += r.preemptions;
    out.iterations += r.iterations;
    running_sum += r.running_sum;
    end_s = std::max(end_s, r.end_s);
    const double span = r.end_s - shards[e].front().arrival_s;
    busy_fraction_sum += span > 0 ? r.busy_s / span : 0.0;
    // An iteration keeps each stage's TP GPUs busy for 1/pp of its time: tp GPUs' worth of it.
    dynamic_j += d.replica.tp * (r.busy_gpu_energy_j - cost.gpu_power().idle_w * r.busy_s);
    load_s += d.replica.tp * r.busy_gpu_load_s;
    for (const OccupancySample& s : r.timeline) out.peak_kv_used_fraction = std::max(out.peak_kv_used_fraction, s.kv_used_fraction);
    if (e == 0) {
      out.timeline = std::move(r.timeline);
      out.iterations_log = std::move(r.iterations_log);
    }
  }
  std::vector<double> ttft, tpot, e2e;
  double output_tokens = 0;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const RequestResult& r = out.per_request[i];
    if (!r.done) continue;
    ++out.completed;
    output_tokens += requests[i].output_tokens;
    ttft.push_back(r.ttft_s);
    e2e.push_back(r.e2e_s);
    if (requests[i].output_tokens > 1) tpot.push_back(r.tpot_s);
  }
  out.ttft_s = percentiles(std::move(ttft));
  out.tpot_s = percentiles(std::move(tpot));
  out.e2e_s = percentiles(std::move(e2e));
  out.makespan_s = end_s - first_arrival_s;
  if (out.makespan_s > 0) {
    out.requests_per_s = static_cast<double>(out.completed) / out.makespan_s;
    out.output_tokens_per_s = output_tokens / out.makespan_s;
    out.output_tokens_per_s_per_gpu = out.output_tokens_per_s / d.gpus();
  }
  out.mean_batch = out.iterations > 0 ? running_sum / static_cast<double>(out.iterations) : 0.0;
  out.gpu_utilization = busy_fraction_sum / static_cast<double>(engines);
  if (out.makespan_s > 0) {
    const double gpu_s = d.gpus() * out.makespan_s;
    out.power = power_of(d, cal.power, cost.gpu_power().idle_w + dynamic_j / gpu_s, load_s / gpu_s);
  }
  out.feasible = true;
  return out;
}

ServingPower power_of(const Deployment& d, const PowerCalibration& cal, double gpu_w_per_gpu, double gpu_load) {
  ServingPower p;
  p.gpu_w_per_gpu = gpu_w_per_gpu;
  p.gpu_load = gpu_load;
  const cost::NodePowerBreakdown node =
      cost::node_power(cost::node_power_model(d.replica.system, cal), gpu_w_per_gpu, gpu_load, 1.0);
  const double nodes = static_cast<double>(d.gpus()) / d.replica.system.gpus_per_node;
  p.gpu_w = node.total(cost::PowerScope::Gpu) * nodes;
  p.node_dc_w = node.total(cost::PowerScope::NodeDc) * nodes;
  p.node_wall_w = node.total(cost::PowerScope::NodeWall) * nodes;
  return p;
}

double ServingPower::watts(cost::PowerScope s) const {
  switch (s) {
    case cost::PowerScope::Gpu: return gpu_w;
    case cost::PowerScope::NodeDc: return node_dc_w;
    case cost::PowerScope::NodeWall: return node_wall_w;
    // A deployment knows no site: its facility share (the PUE) is added where a site is given.
    case cost::PowerScope::Facility: return node_wall_w;
  }
  return 0.0;
}

double ServingPower::joules_per_output_token(cost::PowerScope s, double output_tokens_per_s) const {
  return output_tokens_per_s > 0 ? watts(s) / output_tokens_per_s : 0.0;
}

// Completion rate / arrival rate below which a run is overloaded: the completion rate counts the
// drain after the last arrival too, so a run that keeps up still completes a little under its
// arrival rate.
constexpr double kKeepsUpShare = 0.9;

std::string overload_note(const std::vector<Request>& requests, const ServingResult& r) {
  if (!r.feasible || requests.size() < 2) return "";
  const double span = requests.back().arrival_s - requests.front().arrival_s;
  if (span <= 0) return "";
  const double arriving = static_cast<double>(requests.size() - 1) / span;
  if (r.requests_per_s >= kKeepsUpShare * arriving) return "";
  return fmt::format("overloaded: requests arrive at {:.2f}/s and complete at {:.2f}/s, so queues and TTFT grow with the "
                     "run's length (more replicas or a lower rate)",
                     arriving, r.requests_per_s);
}

}  // namespace ct::serve
