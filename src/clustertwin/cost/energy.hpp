#pragma once
// Power and energy of a training step: a linear utilisation model per GPU,
//   P_gpu = P_idle + (P_tdp - P_idle) * activity,
// where activity is the share of the step the GPU spends computing (communication waits and
// pipeline bubbles draw near-idle power), plus the rest of the node (CPUs, NICs, NVLink
// switches, fans) at its rated share per GPU, constant: an upper bound for that part.
namespace ct::cost {

struct PowerModel {
  double gpu_idle_w = 0;
  double gpu_tdp_w = 0;
  double node_other_w_per_gpu = 0;  // (node maximum - GPUs x TDP) / GPUs per node, >= 0
};

double gpu_power_w(const PowerModel& p, double activity);
double it_power_w_per_gpu(const PowerModel& p, double activity);

}  // namespace ct::cost
