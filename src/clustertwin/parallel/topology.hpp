#pragma once
// Rank mapping: which links each process group's collectives cross. Megatron's default order
// places TP innermost, then CP, then DP, then PP outermost ("tp-cp-dp-pp"), so a group of stride
// `stride` has min(size, domain/stride) members in each NVLink domain.
#include "clustertwin/cost/calibration.hpp"
#include "clustertwin/cost/collective.hpp"
#include "clustertwin/hw/hardware.hpp"
#include "clustertwin/parallel/layout.hpp"

namespace ct {

struct GroupPlacement {
  int size = 1;
  int per_domain = 1;  // members that share one NVLink domain
  int domains() const { return (size + per_domain - 1) / per_domain; }
  bool crosses_scale_out() const { return per_domain < size; }
};

GroupPlacement place_group(int size, int stride, int nvlink_domain_gpus);

// Achievable bus bandwidth and per-step latency of ring collectives in a group: NVLink inside a
// domain; across domains the members' NICs in parallel (rail-optimised), capped by NVLink.
cost::Link group_link(const GroupPlacement& g, const SystemSpec& sys, const DeviceCalibration& dev,
                      const NetworkCalibration& net);
// All-reduce additionally profits from NVLink SHARP inside one domain.
cost::Link group_all_reduce_link(const GroupPlacement& g, const SystemSpec& sys, const DeviceCalibration& dev,
                                 const NetworkCalibration& net);

// All-to-all inside a group: each GPU sends (per_domain - 1)/n of its bytes over NVLink and
// (n - per_domain)/n over its own NICs (no aggregation across the node as in rings); the two
// proceed at once.
double group_all_to_all_time_s(double bytes_per_rank, const GroupPlacement& g, const SystemSpec& sys,
                               const DeviceCalibration& dev, const NetworkCalibration& net);

// Copies of one token's hidden state that leave its NVLink domain in an MoE dispatch over `domains`
// domains holding experts / domains experts each, top-k uniform routing. A flat all-to-all sends
// every routed copy: k (D-1)/D. Node-level deduplication (DeepEP, HybridEP: one RDMA send per
// destination domain, fanned out over NVLink there) sends one per distinct remote domain:
// (D-1) (1 - C(E - E/D, k) / C(E, k)).
double remote_copies_per_token(int experts, int top_k, int domains, bool dedup);

// The MoE dispatch (or combine) of `tokens` tokens of `token_bytes` each over the EP group. With
// deduplication the NICs carry remote_copies_per_token copies and NVLink fans every routed copy
// out inside its domain; without, group_all_to_all_time_s of all k copies.
double moe_all_to_all_time_s(double tokens, double token_bytes, int experts, int top_k, bool dedup,
                             const GroupPlacement& g, const SystemSpec& sys, const DeviceCalibration& dev,
                             const NetworkCalibration& net);

struct LayoutTopology {
  GroupPlacement tp, cp, dp, pp, ep, etp, expert_dp;
  cost::Link tp_link, tp_all_reduce_link, cp_link, dp_link, dp_all_reduce_link, pp_link, ep_link, etp_link, expert_dp_link;
};

LayoutTopology map_layout(const ParallelLayout& l, const SystemSpec& sys, const DeviceCalibration& dev,
                          const NetworkCalibration& net);

}  // namespace ct
