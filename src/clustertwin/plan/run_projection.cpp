#include "clustertwin/plan/run_projection.hpp"

#include <algorithm>
#include <cmath>

#include "clustertwin/core/units.hpp"

namespace ct {

double young_daly_interval_s(double checkpoint_write_s, double mtbf_s) {
  return std::sqrt(2.0 * checkpoint_write_s * mtbf_s);
}

double checkpoint_goodput(double checkpoint_write_s, double interval_s, double restart_s, double mtbf_s) {
  if (interval_s <= 0 || mtbf_s <= 0) return 1.0;
  const double waste = checkpoint_write_s / interval_s + (interval_s / 2 + restart_s) / mtbf_s;
  return std::clamp(1.0 - waste, 0.0, 1.0);
}

RunProjection project_run(double tokens, double tokens_per_step, double step_time_s, double it_power_w_per_gpu, int gpus,
                          double params, const SystemSpec& system, const Site& site, const Reliability& rel) {
  RunProjection p;
  p.steps = std::ceil(tokens / tokens_per_step);
  p.compute_time_s = p.steps * step_time_s;
  const double failures_per_s = rel.failures_per_gpu_hour * gpus / units::kSecondsPerHour;
  p.mtbf_s = failures_per_s > 0 ? 1.0 / failures_per_s : 0.0;
  p.checkpoint_bytes = params * rel.checkpoint_bytes_per_param;
  const double nodes = std::ceil(static_cast<double>(gpus) / system.gpus_per_node);
  const double write_bw = system.storage_write_bytes_per_s_per_node * nodes;
  p.checkpoint_write_s = write_bw > 0 ? p.checkpoint_bytes / write_bw : 0.0;
  if (p.mtbf_s > 0 && p.checkpoint_write_s > 0) {
    p.checkpoint_interval_s = young_daly_interval_s(p.checkpoint_write_s, p.mtbf_s);
    p.goodput = checkpoint_goodput(p.checkpoint_write_s, p.checkpoint_interval_s, rel.restart_s, p.mtbf_s);
  }
  p.wall_time_s = p.goodput > 0 ? p.compute_time_s / p.goodput : INFINITY;
  p.expected_failures = failures_per_s * p.wall_time_s;
  p.gpu_hours = gpus * p.wall_time_s / units::kSecondsPerHour;
  p.it_energy_kwh = it_power_w_per_gpu * gpus * p.wall_time_s / units::kSecondsPerHour / units::kKilo;
  p.facility_energy_kwh = p.it_energy_kwh * site.pue;
  if (auto it = site.rental_per_gpu_hour.find(system.gpu.id); it != site.rental_per_gpu_hour.end()) {
    p.cost = p.gpu_hours * it->second;  // power included in the rental
  } else {
    const auto capex = site.capex_per_gpu.find(system.gpu.id);
    const double per_gpu_hour =
        capex != site.capex_per_gpu.end() ? capex->second / (site.lifetime_years * 365.0 * 24.0) : 0.0;
    p.cost = p.gpu_hours * per_gpu_hour + p.facility_energy_kwh * site.electricity_price_per_kwh;
  }
  p.co2_tonnes = p.facility_energy_kwh * site.grid_co2_kg_per_kwh / units::kKilo;
  return p;
}

}  // namespace ct
