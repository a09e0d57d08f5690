#pragma once
// What is free, used or down in the fleet, and gang placement onto it.
//
// Placement is topology-aware: a job that fits in one NVLink domain goes to the fullest domain
// that still holds it (best fit keeps whole domains free for big jobs); a job that does not (or
// finds no such domain, when single-domain is only preferred) spreads over the fewest domains by
// taking the emptiest first. Per pool, domains sit in buckets by their free GPU count, so both
// searches cost O(GPUs per domain), not O(domains).
#include <cstdint>
#include <vector>

#include "clustertwin/cluster/fleet.hpp"
#include "clustertwin/cluster/job.hpp"

namespace ct::cluster {

// GPUs of one node held by a job: each GPU in `gpu_mask` gives it `milli` milli-GPU.
struct Slice {
  int node = 0;
  std::uint32_t gpu_mask = 0;
  int milli = kWholeGpuMilli;
};
using Allocation = std::vector<Slice>;

class Occupancy {
 public:
  explicit Occupancy(const Fleet& fleet);

  int pool_free_gpus(int pool) const { return pool_free_[pool]; }
  int domain_free_gpus(int domain) const { return domain_free_[domain]; }
  int node_free_gpus(int node) const { return node_free_[node]; }
  bool node_up(int node) const { return node_up_[node]; }

  // Gang placement of `gpus` whole GPUs (or, with milli < 1000, a share of one GPU) in `pool`:
  // all or nothing. Returns false and leaves `out` empty when it does not fit.
  bool place(int pool, int gpus, int milli, bool single_domain_required, Allocation& out);
  void release(const Allocation& a);

  // A failed node holds no allocations (the caller releases them first) and offers nothing
  // until it is repaired.
  void set_node_down(int node);
  void set_node_up(int node);

 private:
  bool place_whole(int pool, int gpus, bool single_domain_required, Allocation& out);
  bool place_shared(int pool, int milli, Allocation& out);
  void take_from_domain(int domain, int gpus, Allocation& out);
  void set_domain_free(int domain, int free_gpus);
  void set_node_free(int node, int free_gpus);
  int& gpu_milli(int node, int gpu) { return gpu_free_milli_[node_first_gpu_[node] + gpu]; }

  const Fleet& fleet_;
  std::vector<int> node_first_gpu_, gpu_free_milli_;
  std::vector<int> node_free_, domain_free_, pool_free_;  // whole free GPUs on up nodes
  std::vector<bool> node_up_;
  std::vector<std::vector<std::vector<int>>> buckets_;    // [pool][free GPUs] -> domains
  std::vector<int> slot_in_bucket_;
};

}  // namespace ct::cluster
