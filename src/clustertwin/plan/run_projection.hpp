#pragma once
// From one step to a whole training run: time to train with failures and checkpoints, GPU-hours,
// energy (IT and facility), cost and CO2. Pure functions of their inputs.
#include <map>
#include <string>

#include "clustertwin/hw/hardware.hpp"
#include "clustertwin/hw/site.hpp"
#include "clustertwin/model/model_spec.hpp"

namespace ct {

struct Site : SiteBasics {
  std::string currency = "JPY";
  // Either a rental price per GPU-hour (power included) or owned hardware: capital cost per GPU
  // amortised over its lifetime, plus the electricity the site pays for.
  std::map<std::string, double> rental_per_gpu_hour;  // by GPU id
  std::map<std::string, double> capex_per_gpu;        // by GPU id
  double lifetime_years = 5;
};

struct Reliability {
  double failures_per_gpu_hour = 0;  // unexpected interruptions, whole job restarts
  double restart_s = 0;              // detect, reschedule, reload the checkpoint, warm up
  double checkpoint_bytes_per_param = 14;  // BF16 weights + FP32 master + Adam m, v
};

struct RunProjection {
  double steps = 0;
  double compute_time_s = 0;     // steps x step time, no failures
  double mtbf_s = 0;             // of the whole job
  double checkpoint_bytes = 0;
  double checkpoint_write_s = 0;
  double checkpoint_interval_s = 0;  // Young/Daly optimum
  double goodput = 1;            // useful fraction of wall-clock time
  double wall_time_s = 0;        // time to train, failures and checkpoints included
  double expected_failures = 0;
  double gpu_hours = 0;
  double it_energy_kwh = 0, facility_energy_kwh = 0;
  double cost = 0;               // site currency
  double co2_tonnes = 0;
};

// Young (1974) / Daly (2006) first-order optimum: sqrt(2 * write time * MTBF).
double young_daly_interval_s(double checkpoint_write_s, double mtbf_s);
// Fraction of wall time that is useful work with checkpoints every `interval`: each interval
// pays one write; each failure loses half an interval on average plus the restart.
double checkpoint_goodput(double checkpoint_write_s, double interval_s, double restart_s, double mtbf_s);

RunProjection project_run(double tokens, double tokens_per_step, double step_time_s, double it_power_w_per_gpu, int gpus,
                          double params, const SystemSpec& system, const Site& site, const Reliability& rel);

}  // namespace ct
