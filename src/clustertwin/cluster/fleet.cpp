#include "clustertwin/cluster/fleet.hpp"

#include <filesystem>
#include <map>

#include "clustertwin/cluster/tolerant_csv.hpp"
#include "clustertwin/config/site_loader.hpp"
#include "clustertwin/core/error.hpp"
#include "clustertwin/core/yaml_util.hpp"

namespace ct::cluster {

int Fleet::total_gpus() const {
  int n = 0;
  for (const Pool& p : pools) n += p.gpus;
  return n;
}

Site load_site(const std::string& path) {
  Site s;
  static_cast<SiteBasics&>(s) = load_site_basics(load_yaml_mapping(path), path);
  return s;
}

static void check_pool_count(const Fleet& fleet, const std::string& file) {
  if (static_cast<int>(fleet.pools.size()) > kMaxPools)
    throw InputError(file, "pools", "more than " + std::to_string(kMaxPools) + " pools are not supported");
}

void add_pool(Fleet& fleet, int site, const SystemSpec& system, int domains) {
  Pool p;
  p.site = site;
  p.system_id = system.id;
  p.gpu_type = system.gpu.id;
  p.max_domain_gpus = system.nvlink_domain_gpus;
  p.first_domain = static_cast<int>(fleet.domains.size());
  p.domain_count = domains;
  p.gpus = domains * system.nvlink_domain_gpus;
  p.gpu_busy_w = system.gpu.tdp_w;
  p.gpu_idle_w = system.gpu.idle_w;
  const int pool_index = static_cast<int>(fleet.pools.size());
  // An NVL72 domain is 18 trays of 4; a DGX domain is one node of 8.
  const int nodes_per_domain = system.nvlink_domain_gpus / system.gpus_per_node;
  for (int d = 0; d < domains; ++d) {
    Domain dom{pool_index, static_cast<int>(fleet.nodes.size()), nodes_per_domain, system.nvlink_domain_gpus};
    for (int n = 0; n < nodes_per_domain; ++n)
      fleet.nodes.push_back({static_cast<int>(fleet.domains.size()), system.gpus_per_node,
                             system.id + "-" + std::to_string(d) + "." + std::to_string(n)});
    fleet.domains.push_back(dom);
  }
  fleet.pools.push_back(p);
}

static std::string site_path(const std::string& ref, const std::string& fleet_file, const std::string& sites_dir) {
  namespace fs = std::filesystem;
  if (ref.find('/') != std::string::npos || ref.ends_with(".yaml")) {
    const fs::path p(ref);
    return p.is_absolute() ? ref : (fs::path(fleet_file).parent_path() / p).string();
  }
  return (fs::path(sites_dir) / (ref + ".yaml")).string();
}

static void load_site_pools(Fleet& fleet, int site, const YAML::Node& pools, const HardwareCatalog& catalog,
                            const std::string& file, const std::string& where) {
  if (!pools || !pools.IsSequence() || pools.size() == 0) throw InputError(file, where + ".pools", "missing or empty");
  for (std::size_t i = 0; i < pools.size(); ++i) {
    const std::string pw = where + ".pools[" + std::to_string(i) + "]";
    const std::string system_id = yaml_string(pools[i], "system", file, pw);
    if (!catalog.has_system(system_id)) throw InputError(file, pw + ".system", "unknown system '" + system_id + "'");
    const SystemSpec& sys = catalog.system(system_id);
    if (sys.gpus_per_node > kMaxGpusPerNode || sys.nvlink_domain_gpus % sys.gpus_per_node != 0)
      throw InputError(file, pw + ".system", "NVLink domain of " + system_id + " is not whole nodes of at most 32 GPUs");
    add_pool(fleet, site, sys, yaml_positive_int(pools[i], "domains", file, pw));
  }
}

Fleet load_fleet(const std::string& path, const HardwareCatalog& catalog, const std::string& sites_dir) {
  const YAML::Node y = load_yaml_mapping(path);
  const YAML::Node sites = y["sites"];
  if (!sites || !sites.IsSequence() || sites.size() == 0) throw InputError(path, "sites", "missing or empty");
  Fleet fleet;
  for (std::size_t i = 0; i < sites.size(); ++i) {
    const std::string where = "sites[" + std::to_string(i) + "]";
    const std::string ref = yaml_string(sites[i], "site", path, where);
    fleet.sites.push_back(load_site(site_path(ref, path, sites_dir)));
    for (std::size_t j = 0; j + 1 < fleet.sites.size(); ++j)
      if (fleet.sites[j].id == fleet.sites.back().id) throw InputError(path, where + ".site", "site '" + ref + "' listed twice");
    load_site_pools(fleet, static_cast<int>(i), sites[i]["pools"], catalog, path, where);
  }
  check_pool_count(fleet, path);
  return fleet;
}

namespace {

struct OpenbNode {
  std::string sn;
  int gpus;
};

}  // namespace

Fleet fleet_from_openb_nodes(const std::string& path, const std::string& jurisdiction,
                             std::vector<std::string>& warnings) {
  const CsvTable t = read_csv_lines_tolerant(path, warnings);
  const int c_sn = t.column("sn"), c_gpu = t.column("gpu"), c_model = t.column("model");
  if (c_sn < 0 || c_gpu < 0 || c_model < 0) throw InputError(path, "header", "needs columns sn, gpu, model");
  std::vector<std::string> model_order;
  std::map<std::string, std::vector<OpenbNode>> by_model;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const auto& row = t.rows[r];
    int gpus = 0;
    try {
      gpus = std::stoi(row[c_gpu]);
    } catch (const std::exception&) {
      warnings.push_back(path + ": line " + std::to_string(t.row_lines[r]) + ": gpu: not an integer, node skipped");
      continue;
    }
    if (gpus <= 0) continue;  // CPU-only node: the simulator places GPU jobs only
    if (gpus > kMaxGpusPerNode) {
      warnings.push_back(path + ": line " + std::to_string(t.row_lines[r]) + ": gpu: more than 32 GPUs, node skipped");
      continue;
    }
    const std::string& model = row[c_model];
    if (!by_model.count(model)) model_order.push_back(model);
    by_model[model].push_back({row[c_sn], gpus});
  }
  Fleet fleet;
  fleet.sites.push_back({"openb", "Alibaba openb GPU nodes", jurisdiction, "openb", 1.0, 0, 0});
  for (const std::string& model : model_order) {
    Pool p;
    p.system_id = p.gpu_type = model;
    p.first_domain = static_cast<int>(fleet.domains.size());
    const int pool_index = static_cast<int>(fleet.pools.size());
    for (const OpenbNode& n : by_model[model]) {
      // An openb node is its own NVLink domain: the trace says nothing of cross-node NVLink.
      fleet.domains.push_back({pool_index, static_cast<int>(fleet.nodes.size()), 1, n.gpus});
      fleet.nodes.push_back({static_cast<int>(fleet.domains.size()) - 1, n.gpus, n.sn});
      p.gpus += n.gpus;
      p.max_domain_gpus = std::max(p.max_domain_gpus, n.gpus);
    }
    p.domain_count = static_cast<int>(fleet.domains.size()) - p.first_domain;
    fleet.pools.push_back(p);
  }
  check_pool_count(fleet, path);
  return fleet;
}

}  // namespace ct::cluster
