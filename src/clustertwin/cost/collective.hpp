#pragma once
// Time of NCCL-style collectives under the alpha-beta model (Hockney; Thakur et al. 2005;
// NCCL's bus-bandwidth convention): `bus_bytes_per_s` is the achievable per-GPU bus bandwidth
// of the slowest link class the collective crosses, `latency_s` the cost of one algorithm step.
namespace ct::cost {

struct Link {
  double bus_bytes_per_s = 0;
  double latency_s = 0;
};

// `bytes` is the full buffer (all-reduce), the gathered output (all-gather) or the input that is
// scattered (reduce-scatter), as NCCL reports sizes. n = ranks in the group.
double ring_all_reduce_time_s(double bytes, int n, const Link& link);      // 2(n-1)/n S/B + 2(n-1)a
double tree_all_reduce_time_s(double bytes, int n, const Link& link);      // 2 S/B + 2 log2(n) a
double all_reduce_time_s(double bytes, int n, const Link& link);           // NCCL picks the faster
double all_gather_time_s(double bytes, int n, const Link& link);           // (n-1)/n S/B + (n-1)a
double reduce_scatter_time_s(double bytes, int n, const Link& link);       // (n-1)/n S/B + (n-1)a
// Each rank sends bytes_per_rank/n to every other rank (pairwise exchange).
double p2p_time_s(double bytes, const Link& link);                          // S/B + a

}  // namespace ct::cost
