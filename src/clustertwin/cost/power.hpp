#pragma once
// Power of the hardware doing simulated work, component by component, so that a prediction can be
// held against a GPU-only (NVML), node (PSU DC side or wall) or facility meter alike.
//
// GPU: idle draw (driver loaded, P0) plus dynamic power in proportion to what the work keeps busy,
//   P = P_idle + (P_tdp - P_idle) * (tensor_share * u_tensor + hbm_share * u_hbm),
// u_tensor, u_hbm: the shares of the span in which the tensor cores run at their achievable rate
// and HBM streams at its achievable bandwidth (the roofline times of the kernels, so a kernel that
// is both contributes to both). Above the power limit (nvidia-smi -pl, MLPerf "MaxQ" builds) the
// GPU lowers its SM clock f: tensor work then takes 1/f as long and draws f^a of its power (DVFS;
// HBM has its own clock and keeps its speed), so the limit costs compute-bound work time and
// leaves memory-bound decode alone.
// Node: the GPUs plus the host (CPUs, memory, NICs, NVSwitches, fans, storage), between its idle
// and loaded draw in step with the GPUs' load; at the wall through the power supplies' efficiency
// curve. Facility: the wall power times the site's PUE.
#include <string>
#include <utility>
#include <vector>

#include "clustertwin/cost/calibration.hpp"
#include "clustertwin/hw/hardware.hpp"

namespace ct::cost {

struct GpuPower {
  double idle_w = 0, tdp_w = 0;
  double limit_w = 0;             // power limit in force; 0 = the TDP
  double tensor_share = 1;        // of the dynamic range: tensor cores busy at the achievable rate
  double hbm_share = 0.5;         // of the dynamic range: HBM streaming at achievable bandwidth
  double dvfs_exponent = 1.3;     // dynamic power of tensor work ~ clock^a
  double min_clock_fraction = 0.2;
  double limit() const { return limit_w > 0 ? limit_w : tdp_w; }
};

// One span of work on one GPU at full clock.
struct GpuActivity {
  double span_s = 0;
  double tensor_s = 0;  // roofline compute time of its kernels
  double hbm_s = 0;     // roofline memory time of its kernels
};

struct GpuOperatingPoint {
  double power_w = 0;          // mean over the span at this clock
  double span_s = 0;           // the span at this clock
  double clock_fraction = 1;   // of the maximum SM clock
  double load = 0;             // (power - idle) / (tdp - idle), in [0, 1]
};

// The operating point of `a` under the GPU's power limit: full clock if its power fits, else the
// highest clock at which it does (never below min_clock_fraction).
GpuOperatingPoint gpu_operating_point(const GpuPower& g, const GpuActivity& a);

// What the meter of a measurement includes.
enum class PowerScope { Gpu, NodeDc, NodeWall, Facility };
const char* to_string(PowerScope s);

struct NodePower {
  int gpus = 8;
  double host_idle_w = 0, host_loaded_w = 0;  // DC, everything in the node but its GPUs
  double psu_capacity_w = 0;                  // all supplies sharing the load
  std::vector<std::pair<double, double>> psu_efficiency;  // (load / capacity, efficiency), ascending
};

// Efficiency of the supplies at `dc_w`, by linear interpolation of the curve (flat beyond its ends).
double psu_efficiency(const NodePower& n, double dc_w);

// A node's power by component when each of its GPUs draws `gpu_w` at `gpu_load`.
struct NodePowerBreakdown {
  double gpu_w = 0, host_w = 0, psu_loss_w = 0, facility_w = 0;
  double total(PowerScope s) const;
};
NodePowerBreakdown node_power(const NodePower& n, double gpu_w, double gpu_load, double pue);

// The models of one catalog GPU (under power limit `limit_w`, 0 = its TDP) and of its node.
GpuPower gpu_power_model(const GpuSpec& gpu, const PowerCalibration& cal, double limit_w = 0);
NodePower node_power_model(const SystemSpec& system, const PowerCalibration& cal);

}  // namespace ct::cost
