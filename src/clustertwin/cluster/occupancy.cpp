#include "clustertwin/cluster/occupancy.hpp"

#include <bit>
#include <stdexcept>

namespace ct::cluster {

Occupancy::Occupancy(const Fleet& fleet) : fleet_(fleet) {
  const std::size_t n = fleet.nodes.size();
  node_first_gpu_.resize(n);
  node_free_.resize(n);
  node_up_.assign(n, true);
  int gpu = 0;
  for (std::size_t i = 0; i < n; ++i) {
    node_first_gpu_[i] = gpu;
    gpu += fleet.nodes[i].gpus;
    node_free_[i] = fleet.nodes[i].gpus;
  }
  gpu_free_milli_.assign(gpu, kWholeGpuMilli);
  domain_free_.resize(fleet.domains.size());
  slot_in_bucket_.resize(fleet.domains.size());
  pool_free_.resize(fleet.pools.size());
  buckets_.resize(fleet.pools.size());
  for (std::size_t p = 0; p < fleet.pools.size(); ++p) {
    const Pool& pool = fleet.pools[p];
    buckets_[p].resize(pool.max_domain_gpus + 1);
    pool_free_[p] = pool.gpus;
    for (int d = pool.first_domain; d < pool.first_domain + pool.domain_count; ++d) {
      domain_free_[d] = fleet.domains[d].gpus;
      slot_in_bucket_[d] = static_cast<int>(buckets_[p][domain_free_[d]].size());
      buckets_[p][domain_free_[d]].push_back(d);
    }
  }
}

void Occupancy::set_domain_free(int d, int free_gpus) {
  const int p = fleet_.domains[d].pool;
  std::vector<int>& from = buckets_[p][domain_free_[d]];
  // Swap-remove: O(1), and the order stays a pure function of the event sequence.
  const int slot = slot_in_bucket_[d];
  from[slot] = from.back();
  slot_in_bucket_[from[slot]] = slot;
  from.pop_back();
  std::vector<int>& to = buckets_[p][free_gpus];
  slot_in_bucket_[d] = static_cast<int>(to.size());
  to.push_back(d);
  pool_free_[p] += free_gpus - domain_free_[d];
  domain_free_[d] = free_gpus;
}

void Occupancy::set_node_free(int node, int free_gpus) {
  const int d = fleet_.nodes[node].domain;
  const int delta = free_gpus - node_free_[node];
  node_free_[node] = free_gpus;
  if (delta != 0) set_domain_free(d, domain_free_[d] + delta);
}

void Occupancy::take_from_domain(int domain, int gpus, Allocation& out) {
  const Domain& dom = fleet_.domains[domain];
  for (int node = dom.first_node; node < dom.first_node + dom.node_count && gpus > 0; ++node) {
    if (!node_up_[node] || node_free_[node] == 0) continue;
    Slice s{node, 0, kWholeGpuMilli};
    int taken = 0;
    for (int g = 0; g < fleet_.nodes[node].gpus && taken < gpus; ++g) {
      if (gpu_milli(node, g) != kWholeGpuMilli) continue;
      gpu_milli(node, g) = 0;
      s.gpu_mask |= 1u << g;
      ++taken;
    }
    set_node_free(node, node_free_[node] - taken);
    gpus -= taken;
    out.push_back(s);
  }
  if (gpus > 0) throw std::logic_error("occupancy: domain free count out of step with its nodes");
}

bool Occupancy::place_whole(int pool, int gpus, bool single_domain_required, Allocation& out) {
  if (pool_free_[pool] < gpus) return false;
  auto& buckets = buckets_[pool];
  const int max_free = static_cast<int>(buckets.size()) - 1;
  for (int k = gpus; k <= max_free; ++k) {  // best fit: the fullest domain that still holds it
    if (buckets[k].empty()) continue;
    take_from_domain(buckets[k].back(), gpus, out);
    return true;
  }
  if (single_domain_required) return false;
  int remaining = gpus;
  for (int k = max_free; k > 0 && remaining > 0; --k) {  // fewest domains: emptiest first
    while (!buckets[k].empty() && remaining > 0) {
      const int take = std::min(k, remaining);
      take_from_domain(buckets[k].back(), take, out);
      remaining -= take;
    }
  }
  return true;
}

bool Occupancy::place_shared(int pool, int milli, Allocation& out) {
  // Best fit over the pool's GPUs: the fullest GPU that still has `milli` free, so shared jobs
  // pack together and leave whole GPUs for whole-GPU jobs.
  const Pool& p = fleet_.pools[pool];
  int best_node = -1, best_gpu = -1, best_free = kWholeGpuMilli + 1;
  for (int d = p.first_domain; d < p.first_domain + p.domain_count; ++d) {
    const Domain& dom = fleet_.domains[d];
    for (int node = dom.first_node; node < dom.first_node + dom.node_count; ++node) {
      if (!node_up_[node]) continue;
      for (int g = 0; g < fleet_.nodes[node].gpus; ++g) {
        const int f = gpu_milli(node, g);
        if (f >= milli && f < best_free) best_node = node, best_gpu = g, best_free = f;
      }
    }
  }
  if (best_node < 0) return false;
  if (best_free == kWholeGpuMilli) set_node_free(best_node, node_free_[best_node] - 1);
  gpu_milli(best_node, best_gpu) -= milli;
  out.push_back({best_node, 1u << best_gpu, milli});
  return true;
}

bool Occupancy::place(int pool, int gpus, int milli, bool single_domain_required, Allocation& out) {
  out.clear();
  if (milli < kWholeGpuMilli) return place_shared(pool, milli, out);
  return place_whole(pool, gpus, single_domain_required, out);
}

void Occupancy::release(const Allocation& a) {
  for (const Slice& s : a) {
    if (!node_up_[s.node]) continue;  // its GPUs come back whole when the node is repaired
    int freed_whole = 0;
    for (std::uint32_t m = s.gpu_mask; m; m &= m - 1) {
      const int g = std::countr_zero(m);
      gpu_milli(s.node, g) += s.milli;
      if (gpu_milli(s.node, g) == kWholeGpuMilli) ++freed_whole;
    }
    set_node_free(s.node, node_free_[s.node] + freed_whole);
  }
}

void Occupancy::set_node_down(int node) {
  if (!node_up_[node]) return;
  set_node_free(node, 0);
  node_up_[node] = false;
}

void Occupancy::set_node_up(int node) {
  if (node_up_[node]) return;
  node_up_[node] = true;
  for (int g = 0; g < fleet_.nodes[node].gpus; ++g) gpu_milli(node, g) = kWholeGpuMilli;
  set_node_free(node, fleet_.nodes[node].gpus);
}

}  // namespace ct::cluster
