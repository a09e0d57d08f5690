#include "clustertwin/cost/energy.hpp"

#include <algorithm>

namespace ct::cost {

double gpu_power_w(const PowerModel& p, double activity) {
  return p.gpu_idle_w + (p.gpu_tdp_w - p.gpu_idle_w) * std::clamp(activity, 0.0, 1.0);
}

double it_power_w_per_gpu(const PowerModel& p, double activity) { return gpu_power_w(p, activity) + p.node_other_w_per_gpu; }

}  // namespace ct::cost
