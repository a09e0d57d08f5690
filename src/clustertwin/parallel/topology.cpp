#include "clustertwin/parallel/topology.hpp"

#include <algorithm>

namespace ct {

GroupPlacement place_group(int size, int stride, int nvlink_domain_gpus) {
  GroupPlacement g;
  g.size = size;
  g.per_domain = stride >= nvlink_domain_gpus ? 1 : std::clamp(nvlink_domain_gpus / stride, 1, size);
  return g;
}

cost::Link group_link(const GroupPlacement& g, const SystemSpec& sys, const DeviceCalibration& dev,
                      const NetworkCalibration& net) {
  const double nvlink = sys.gpu.nvlink_bytes_per_s * dev.nvlink_ring_fraction;
  if (!g.crosses_scale_out()) return {nvlink, net.nvlink_latency_s};
  const double nic = sys.scale_out_bytes_per_s_per_gpu() * sys.fabric.nic_achievable_fraction;
  const double scale_out = g.per_domain * nic / sys.fabric.oversubscription;
  return {std::min(nvlink, scale_out), net.scale_out_latency_s};
}

cost::Link group_all_reduce_link(const GroupPlacement& g, const SystemSpec& sys, const DeviceCalibration& dev,
                                 const NetworkCalibration& net) {
  cost::Link link = group_link(g, sys, dev, net);
  if (!g.crosses_scale_out() && sys.nvls && g.size > 2) link.bus_bytes_per_s *= dev.nvls_all_reduce_speedup;
  return link;
}

double group_all_to_all_time_s(double bytes_per_rank, const GroupPlacement& g, const SystemSpec& sys,
                               const DeviceCalibration& dev, const NetworkCalibration& net) {
  if (g.size <= 1 || bytes_per_rank <= 0) return 0.0;
  const double n = g.size, local = g.per_domain;
  const double nvlink = sys.gpu.nvlink_bytes_per_s * dev.nvlink_ring_fraction;
  const double intra_s = (local - 1) / n * bytes_per_rank / nvlink + (local - 1) * net.nvlink_latency_s;
  if (!g.crosses_scale_out()) return intra_s;
  const double nic = sys.scale_out_bytes_per_s_per_gpu() * sys.fabric.nic_achievable_fraction / sys.fabric.oversubscription;
  const double inter_s = (n - local) / n * bytes_per_rank / nic + (n / local - 1) * net.scale_out_latency_s;
  return std::max(intra_s, inter_s);
}

double remote_copies_per_token(int experts, int top_k, int domains, bool dedup) {
  if (domains <= 1) return 0.0;
  const double D = domains, k = top_k;
  if (!dedup) return k * (D - 1) / D;
  // P(none of the k distinct experts lies in one given domain) = C(E - E/D, k) / C(E, k).
  const double E = experts, outside = E - E / D;
  double p_none = 1.0;
  for (int i = 0; i < top_k; ++i) p_none *= std::max(0.0, (outside - i) / (E - i));
  return (D - 1) * (1 - p_none);
}

double moe_all_to_all_time_s(double tokens, double token_bytes, int experts, int top_k, bool dedup,
                             const GroupPlacement& g, const SystemSpec& sys, const DeviceCalibration& dev,
                             const NetworkCalibration& net) {
  const double copies = tokens * top_k * token_bytes;
  if (!dedup || !g.crosses_scale_out()) return group_all_to_all_time_s(copies, g, sys, dev, net);
  const double local = g.per_domain, domains = g.domains();
  const double nvlink = sys.gpu.nvlink_bytes_per_s * dev.nvlink_ring_fraction;
  const double fan_out_s = (local - 1) / local * copies / nvlink + (local - 1) * net.nvlink_latency_s;
  const double nic = sys.scale_out_bytes_per_s_per_gpu() * sys.fabric.nic_achievable_fraction / sys.fabric.oversubscription;
  const double remote = tokens * token_bytes * remote_copies_per_token(experts, top_k, g.domains(), true);
  const double inter_s = remote / nic + (domains - 1) * net.scale_out_latency_s;
  return std::max(fan_out_s, inter_s);
}

LayoutTopology map_layout(const ParallelLayout& l, const SystemSpec& sys, const DeviceCalibration& dev,
                          const NetworkCalibration& net) {
  const int domain = sys.nvlink_domain_gpus;
  LayoutTopology t;
  t.tp = place_group(l.tp, 1, domain);
  t.cp = place_group(l.cp, l.tp, domain);
  // Context-parallel ranks hold the same parameters, so gradients are reduced (and the
  // distributed optimizer sharded) over dp * cp ranks, as in Megatron-Core.
  t.dp = place_group(l.dp * l.cp, l.tp, domain);
  t.pp = place_group(l.pp, l.tp * l.cp * l.dp, domain);
  // Experts, Megatron-Core order: expert-tensor ranks innermost, then expert-parallel groups,
  // then the expert-data-parallel ranks that hold the same expert shards and reduce their gradients.
  t.etp = place_group(l.etp, 1, domain);
  t.ep = place_group(l.ep, l.etp, domain);
  t.expert_dp = place_group(l.tp * l.cp * l.dp / (l.ep * l.etp), l.ep * l.etp, domain);
  t.ep_link = group_link(t.ep, sys, dev, net);
  t.etp_link = group_link(t.etp, sys, dev, net);
  t.expert_dp_link = group_link(t.expert_dp, sys, dev, net);
  t.tp_link = group_link(t.tp, sys, dev, net);
  t.tp_all_reduce_link = group_all_reduce_link(t.tp, sys, dev, net);
  t.cp_link = group_link(t.cp, sys, dev, net);
  t.dp_link = group_link(t.dp, sys, dev, net);
  t.dp_all_reduce_link = group_all_reduce_link(t.dp, sys, dev, net);
  // A pipeline hand-off is one point-to-point stream: one GPU's NIC(s) or its NVLink.
  GroupPlacement pair = t.pp;
  pair.size = std::min(2, l.pp);
  pair.per_domain = std::min(pair.per_domain, pair.size);
  t.pp_link = group_link(pair, sys, dev, net);
  if (pair.crosses_scale_out()) t.pp_link.bus_bytes_per_s = sys.scale_out_bytes_per_s_per_gpu() * sys.fabric.nic_achievable_fraction;
  return t;
}

}  // namespace ct
