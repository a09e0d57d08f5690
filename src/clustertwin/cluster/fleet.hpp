#pragma once
// The fleet: sites (jurisdiction, PUE, price, carbon), each holding pools of one system type;
// a pool is a run of NVLink domains (an NVL72 rack, or one 8-GPU DGX node), a domain a run of
// nodes (an NVL72 compute tray of 4 GPUs, a DGX node of 8). Static description only: what is
// free or down at a given moment lives in Occupancy (occupancy.hpp).
#include <string>
#include <vector>

#include "clustertwin/hw/catalog.hpp"
#include "clustertwin/hw/site.hpp"

namespace ct::cluster {

// The jurisdiction string that data residency (jp_restricted) requires.
inline constexpr const char* kJapan = "JP";

struct Site : SiteBasics {
  bool in_japan() const { return jurisdiction == kJapan; }
};

struct Pool {
  int site = 0;
  std::string system_id;  // e.g. dgx-h100, gb200-nvl72, or an openb model name
  std::string gpu_type;   // GPU id that job constraints match (h100-sxm-80gb, G2, T4, ...)
  int max_domain_gpus = 0;  // GPUs in the largest NVLink domain (all equal for catalog systems)
  int first_domain = 0, domain_count = 0;
  int gpus = 0;
  double gpu_busy_w = 0, gpu_idle_w = 0;  // per GPU, for energy (0 = unknown)
};

struct Domain {
  int pool = 0;
  int first_node = 0, node_count = 0;
  int gpus = 0;
};

struct Node {
  int domain = 0;
  int gpus = 0;
  std::string name;  // openb serial number or <pool>-<index>
};

struct Fleet {
  std::vector<Site> sites;
  std::vector<Pool> pools;
  std::vector<Domain> domains;
  std::vector<Node> nodes;

  int total_gpus() const;
  int pool_of_node(int node) const { return domains[nodes[node].domain].pool; }
  const Site& site_of_pool(int pool) const { return sites[pools[pool].site]; }
};

// Largest supported pool count (a job's eligible pools are a 64-bit mask) and GPUs per node
// (a node's GPUs in use are a 32-bit mask).
inline constexpr int kMaxPools = 64;
inline constexpr int kMaxGpusPerNode = 32;

// A site file (data/sites/*.yaml), read by the shared loader (config/site_loader.hpp).
Site load_site(const std::string& path);

// A fleet file: `sites:` list of {site: <id in sites_dir or a path>, pools: [{system, domains}]}.
Fleet load_fleet(const std::string& path, const HardwareCatalog& catalog, const std::string& sites_dir);

// Appends `domains` NVLink domains of `system` at `site` as one pool.
void add_pool(Fleet& fleet, int site, const SystemSpec& system, int domains);

// The nodes of an openb node list (sn,cpu_milli,memory_mib,gpu,model) as one site (jurisdiction
// `jurisdiction`); a pool per GPU model, each node its own NVLink domain. CPU-only nodes and
// malformed lines are skipped and reported in `warnings` (with their line numbers).
Fleet fleet_from_openb_nodes(const std::string& path, const std::string& jurisdiction,
                             std::vector<std::string>& warnings);

}  // namespace ct::cluster
