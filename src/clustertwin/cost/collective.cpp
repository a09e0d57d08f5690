#include "clustertwin/cost/collective.hpp"

#include <algorithm>
#include <cmath>

namespace ct::cost {

double ring_all_reduce_time_s(double bytes, int n, const Link& link) {
  if (n <= 1 || bytes <= 0) return 0.0;
  return 2.0 * (n - 1) / n * bytes / link.bus_bytes_per_s + 2.0 * (n - 1) * link.latency_s;
}

double tree_all_reduce_time_s(double bytes, int n, const Link& link) {
  if (n <= 1 || bytes <= 0) return 0.0;
  return 2.0 * bytes / link.bus_bytes_per_s + 2.0 * std::ceil(std::log2(n)) * link.latency_s;
}

double all_reduce_time_s(double bytes, int n, const Link& link) {
  return std::min(ring_all_reduce_time_s(bytes, n, link), tree_all_reduce_time_s(bytes, n, link));
}

double all_gather_time_s(double bytes, int n, const Link& link) {
  if (n <= 1 || bytes <= 0) return 0.0;
  return (n - 1.0) / n * bytes / link.bus_bytes_per_s + (n - 1.0) * link.latency_s;
}

double reduce_scatter_time_s(double bytes, int n, const Link& link) { return all_gather_time_s(bytes, n, link); }

double p2p_time_s(double bytes, const Link& link) {
  if (bytes <= 0) return 0.0;
  return bytes / link.bus_bytes_per_s + link.latency_s;
}

}  // namespace ct::cost
