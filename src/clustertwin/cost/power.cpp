#include "clustertwin/cost/power.hpp"

#include <algorithm>
#include <cmath>

namespace ct::cost {

namespace {

// Mean power of `a` with the SM clock at fraction `s`, and the span it then takes.
GpuOperatingPoint at_clock(const GpuPower& g, const GpuActivity& a, double s) {
  GpuOperatingPoint p;
  p.clock_fraction = s;
  const double tensor_s = std::min(a.tensor_s, a.span_s), hbm_s = std::min(a.hbm_s, a.span_s);
  p.span_s = a.span_s + tensor_s * (1.0 / s - 1.0);
  const double range_w = g.tdp_w - g.idle_w;
  const double dynamic_j =
      range_w * (g.tensor_share * tensor_s * std::pow(s, g.dvfs_exponent - 1.0) + g.hbm_share * hbm_s);
  p.power_w = g.idle_w + (p.span_s > 0 ? std::min(range_w, dynamic_j / p.span_s) : 0.0);
  p.load = range_w > 0 ? (p.power_w - g.idle_w) / range_w : 0.0;
  return p;
}

}  // namespace

GpuOperatingPoint gpu_operating_point(const GpuPower& g, const GpuActivity& a) {
  GpuOperatingPoint full = at_clock(g, a, 1.0);
  if (full.power_w <= g.limit() || a.tensor_s <= 0) {
    full.power_w = std::min(full.power_w, g.limit());
    return full;
  }
  // Power rises with the clock: bisect for the highest clock within the limit.
  double lo = g.min_clock_fraction, hi = 1.0;
  if (at_clock(g, a, lo).power_w > g.limit()) return at_clock(g, a, lo);
  for (int i = 0; i < 40; ++i) {
    const double mid = 0.5 * (lo + hi);
    (at_clock(g, a, mid).power_w > g.limit() ? hi : lo) = mid;
  }
  return at_clock(g, a, lo);
}

const char* to_string(PowerScope s) {
  switch (s) {
    case PowerScope::Gpu: return "gpu";
    case PowerScope::NodeDc: return "node-dc";
    case PowerScope::NodeWall: return "node-wall";
    case PowerScope::Facility: return "facility";
  }
  return "?";
}

double psu_efficiency(const NodePower& n, double dc_w) {
  const auto& c = n.psu_efficiency;
  if (c.empty() || n.psu_capacity_w <= 0) return 1.0;
  const double load = dc_w / n.psu_capacity_w;
  if (load <= c.front().first) return c.front().second;
  for (std::size_t i = 1; i < c.size(); ++i)
    if (load <= c[i].first) {
      const double t = (load - c[i - 1].first) / (c[i].first - c[i - 1].first);
      return c[i - 1].second + t * (c[i].second - c[i - 1].second);
    }
  return c.back().second;
}

NodePowerBreakdown node_power(const NodePower& n, double gpu_w, double gpu_load, double pue) {
  NodePowerBreakdown b;
  b.gpu_w = n.gpus * gpu_w;
  b.host_w = n.host_idle_w + (n.host_loaded_w - n.host_idle_w) * std::clamp(gpu_load, 0.0, 1.0);
  const double dc_w = b.gpu_w + b.host_w;
  b.psu_loss_w = dc_w / psu_efficiency(n, dc_w) - dc_w;
  b.facility_w = (dc_w + b.psu_loss_w) * (std::max(1.0, pue) - 1.0);
  return b;
}

double NodePowerBreakdown::total(PowerScope s) const {
  switch (s) {
    case PowerScope::Gpu: return gpu_w;
    case PowerScope::NodeDc: return gpu_w + host_w;
    case PowerScope::NodeWall: return gpu_w + host_w + psu_loss_w;
    case PowerScope::Facility: return gpu_w + host_w + psu_loss_w + facility_w;
  }
  return 0.0;
}

GpuPower gpu_power_model(const GpuSpec& gpu, const PowerCalibration& cal, double limit_w) {
  GpuPower g;
  g.idle_w = gpu.idle_w;
  g.tdp_w = gpu.tdp_w;
  g.limit_w = limit_w > 0 ? std::min(limit_w, gpu.tdp_w) : 0.0;
  g.tensor_share = cal.tensor_share;
  g.hbm_share = cal.hbm_share;
  g.dvfs_exponent = cal.dvfs_exponent;
  g.min_clock_fraction = cal.min_clock_fraction;
  return g;
}

NodePower node_power_model(const SystemSpec& system, const PowerCalibration& cal) {
  NodePower n;
  n.gpus = system.gpus_per_node;
  n.host_idle_w = cal.host_idle_w_per_gpu * n.gpus;
  n.host_loaded_w = cal.host_loaded_w_per_gpu * n.gpus;
  n.psu_capacity_w = system.node_power_max_w * cal.psu_capacity_per_node_max;
  n.psu_efficiency = cal.psu_efficiency;
  return n;
}

}  // namespace ct::cost
