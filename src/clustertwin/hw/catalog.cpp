#include "clustertwin/hw/catalog.hpp"

#include <filesystem>

#include "clustertwin/core/error.hpp"
#include "clustertwin/core/units.hpp"
#include "clustertwin/core/yaml_util.hpp"

namespace ct {
namespace {

std::string join_keys(const auto& map) {
  std::string out;
  for (const auto& [k, v] : map) out += (out.empty() ? "" : ", ") + k;
  return out;
}

GpuSpec parse_gpu(const YAML::Node& n, const std::string& file, const std::string& where) {
  GpuSpec g;
  g.id = yaml_string(n, "id", file, where);
  const std::string at = where + "(" + g.id + ")";
  g.name = yaml_string(n, "name", file, at);
  g.arch = yaml_string(n, "arch", file, at);
  const YAML::Node peaks = n["peak_dense_tflops"];
  if (!peaks || !peaks.IsMap()) throw InputError(file, at + ".peak_dense_tflops", "missing");
  const std::pair<const char*, PeakFormat> formats[] = {{"bf16", PeakFormat::BF16}, {"fp16", PeakFormat::FP16},
                                                        {"fp8", PeakFormat::FP8},   {"fp4", PeakFormat::FP4},
                                                        {"tf32", PeakFormat::TF32}};
  for (const auto& [key, fmt] : formats) {
    const double tflops = yaml_number_or(peaks, key, 0.0, file, at + ".peak_dense_tflops");
    if (tflops < 0) throw InputError(file, at + ".peak_dense_tflops." + key, "must not be negative");
    if (tflops > 0) g.peak_flops[fmt] = tflops * units::kTera;
  }
  g.hbm_bytes = yaml_number(n, "hbm_capacity_gb", file, at) * units::kGB;
  g.hbm_bytes_per_s = yaml_number(n, "hbm_bandwidth_tb_s", file, at) * units::kTB;
  g.nvlink_bytes_per_s = yaml_number(n, "nvlink_unidir_gb_s", file, at) * units::kGB;
  g.pcie_bytes_per_s = yaml_number_or(n, "pcie_unidir_gb_s", 0.0, file, at) * units::kGB;
  g.sm_count = yaml_positive_int(n, "sm_count", file, at);
  g.l2_bytes = yaml_number_or(n, "l2_cache_mb", 0.0, file, at) * units::kMB;
  g.tdp_w = yaml_number(n, "tdp_w", file, at);
  g.idle_w = yaml_number(n, "idle_w", file, at);
  g.fp8_gemm_any_layout = n["fp8_gemm_any_layout"] && n["fp8_gemm_any_layout"].as<bool>();
  if (g.hbm_bytes <= 0 || g.hbm_bytes_per_s <= 0 || g.tdp_w <= 0)
    throw InputError(file, at, "capacities, bandwidths and power must be positive");
  return g;
}

std::vector<std::string> fields_without_source(const YAML::Node& n) {
  std::vector<std::string> missing;
  const YAML::Node sources = n["sources"];
  for (const auto& kv : n) {
    const auto key = kv.first.as<std::string>();
    if (key == "id" || key == "sources") continue;
    if (!sources || !sources[key] || sources[key].as<std::string>("").empty()) missing.push_back(key);
  }
  return missing;
}

FabricSpec parse_fabric(const YAML::Node& n, const std::string& file, const std::string& where) {
  FabricSpec f;
  f.id = yaml_string(n, "id", file, where);
  const std::string at = where + "(" + f.id + ")";
  f.name = yaml_string_or(n, "name", f.id);
  f.technology = yaml_string(n, "technology", file, at);
  f.topology = yaml_string_or(n, "topology", "fat-tree");
  f.link_bytes_per_s = yaml_number(n, "link_gb_s", file, at) * units::kGB;
  f.tiers = yaml_positive_int(n, "tiers", file, at);
  f.oversubscription = yaml_number_or(n, "oversubscription", 1.0, file, at);
  f.hop_latency_s = yaml_number(n, "hop_latency_us", file, at) * units::kMicro;
  f.nic_achievable_fraction = yaml_number(n, "nic_achievable_fraction", file, at);
  f.sharp = yaml_bool_or(n, "sharp", false, file, at);
  if (f.oversubscription < 1.0) throw InputError(file, at + ".oversubscription", "must be >= 1");
  if (f.nic_achievable_fraction <= 0 || f.nic_achievable_fraction > 1)
    throw InputError(file, at + ".nic_achievable_fraction", "must be in (0, 1]");
  return f;
}

// Calls fn(entry, "list_key[i]") for each entry of the list `list_key` in `file`. A missing list is
// an error only where the file must define it.
template <typename Fn>
void for_each_entry(const std::string& file, const YAML::Node& root, const char* list_key, bool required, Fn&& fn) {
  const YAML::Node list = root[list_key];
  if (!list) {
    if (required) throw InputError(file, list_key, "missing list");
    return;
  }
  if (!list.IsSequence()) throw InputError(file, list_key, "must be a list");
  for (std::size_t i = 0; i < list.size(); ++i)
    fn(list[i], std::string(list_key) + "[" + std::to_string(i) + "]");
}

bool exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

}  // namespace

void HardwareCatalog::read_gpus(const std::string& file, const YAML::Node& root, bool required) {
  for_each_entry(file, root, "gpus", required, [&](const YAML::Node& n, const std::string& where) {
    GpuSpec g = parse_gpu(n, file, where);
    gpu_fields_without_source_[g.id] = fields_without_source(n);
    gpus_[g.id] = std::move(g);
  });
}

void HardwareCatalog::read_fabrics(const std::string& file, const YAML::Node& root, bool required) {
  for_each_entry(file, root, "fabrics", required, [&](const YAML::Node& n, const std::string& where) {
    FabricSpec f = parse_fabric(n, file, where);
    fabrics_[f.id] = std::move(f);
  });
}

std::vector<std::string> HardwareCatalog::read_systems(const std::string& file, const YAML::Node& root, bool required) {
  std::vector<std::string> ids;
  for_each_entry(file, root, "systems", required, [&](const YAML::Node& n, const std::string& where) {
    SystemSpec s = parse_system(n, file, where);
    ids.push_back(s.id);
    systems_[s.id] = std::move(s);
  });
  return ids;
}

SystemSpec HardwareCatalog::parse_system(const YAML::Node& n, const std::string& file, const std::string& where) const {
  SystemSpec s;
  s.id = yaml_string(n, "id", file, where);
  const std::string at = where + "(" + s.id + ")";
  s.name = yaml_string_or(n, "name", s.id);
  const std::string gpu_id = yaml_string(n, "gpu", file, at);
  if (!gpus_.count(gpu_id)) throw InputError(file, at + ".gpu", "unknown GPU '" + gpu_id + "' (known: " + join_keys(gpus_) + ")");
  s.gpu = gpus_.at(gpu_id);
  const std::string fabric_id = yaml_string(n, "fabric", file, at);
  if (!fabrics_.count(fabric_id))
    throw InputError(file, at + ".fabric", "unknown fabric '" + fabric_id + "' (known: " + join_keys(fabrics_) + ")");
  s.fabric = fabrics_.at(fabric_id);
  s.gpus_per_node = yaml_positive_int(n, "gpus_per_node", file, at);
  s.nvlink_domain_gpus = yaml_positive_int(n, "nvlink_domain_gpus", file, at);
  s.nvls = yaml_bool_or(n, "nvls", false, file, at);
  s.nics_per_gpu = yaml_number(n, "nics_per_gpu", file, at);
  s.nic_bytes_per_s = yaml_number(n, "nic_gb_s", file, at) * units::kGB;
  s.node_power_max_w = yaml_number_or(n, "node_power_max_w", 0.0, file, at);
  s.rack_power_w = yaml_number_or(n, "rack_power_w", 0.0, file, at);
  s.storage_write_bytes_per_s_per_node = yaml_number_or(n, "storage_write_gb_s_per_node", 0.0, file, at) * units::kGB;
  s.host_memory_bytes_per_gpu = yaml_number_or(n, "host_memory_gb_per_gpu", 0.0, file, at) * units::kGB;
  s.host_memory_bytes_per_s_per_gpu = yaml_number_or(n, "host_memory_gb_s_per_gpu", 0.0, file, at) * units::kGB;
  s.host_link_bytes_per_s = yaml_number_or(n, "host_link_gb_s", 0.0, file, at) * units::kGB;
  if (s.nics_per_gpu < 0 || s.nic_bytes_per_s < 0) throw InputError(file, at + ".nic_gb_s", "must not be negative");
  // An NVLink domain smaller than the node is a PCIe server with NVLink-bridged cards (pairs,
  // quads) or none (1): the domains must tile the node.
  if (s.nvlink_domain_gpus < s.gpus_per_node && s.gpus_per_node % s.nvlink_domain_gpus != 0)
    throw InputError(file, at + ".nvlink_domain_gpus", "smaller than gpus_per_node and does not divide it");
  return s;
}

HardwareCatalog HardwareCatalog::load(const std::string& dir) { return load(std::vector<std::string>{dir}); }

HardwareCatalog HardwareCatalog::load(const std::vector<std::string>& dirs) {
  HardwareCatalog cat;
  // Each folder's gpus.yaml, fabrics.yaml and systems.yaml; the first folder (the built-in catalog)
  // must have all three, overlays any. GPUs and fabrics of every folder are read before systems, so a
  // system of one folder may use a GPU of another.
  struct File {
    std::string path;
    YAML::Node root;
    bool required;
  };
  auto read = [&](const char* name) {
    std::vector<File> files;
    for (std::size_t i = 0; i < dirs.size(); ++i) {
      const std::string path = dirs[i] + "/" + name;
      if (i == 0 || exists(path)) files.push_back({path, load_yaml_file(path), i == 0});
    }
    return files;
  };
  for (const File& f : read("gpus.yaml")) cat.read_gpus(f.path, f.root, f.required);
  for (const File& f : read("fabrics.yaml")) cat.read_fabrics(f.path, f.root, f.required);
  const std::vector<File> systems = read("systems.yaml");
  for (const File& f : systems) cat.read_systems(f.path, f.root, f.required);
  cat.systems_file_ = systems.front().path;
  cat.gpus_file_ = dirs.front() + "/gpus.yaml";
  return cat;
}

std::string HardwareCatalog::add_system_file(const std::string& path) {
  const YAML::Node root = load_yaml_file(path);
  read_gpus(path, root, false);
  read_fabrics(path, root, false);
  const std::vector<std::string> ids = read_systems(path, root, true);
  if (ids.size() != 1) throw InputError(path, "systems", "must list exactly one system, lists " + std::to_string(ids.size()));
  return ids.front();
}

const GpuSpec& HardwareCatalog::gpu(const std::string& id) const {
  auto it = gpus_.find(id);
  if (it == gpus_.end()) throw InputError(gpus_file_, "gpu", "unknown GPU '" + id + "' (known: " + join_keys(gpus_) + ")");
  return it->second;
}

const SystemSpec& HardwareCatalog::system(const std::string& id) const {
  auto it = systems_.find(id);
  if (it == systems_.end())
    throw InputError(systems_file_, "system", "unknown system '" + id + "' (known: " + join_keys(systems_) + ")");
  return it->second;
}

const FabricSpec& HardwareCatalog::fabric(const std::string& id) const {
  auto it = fabrics_.find(id);
  if (it == fabrics_.end()) throw InputError(systems_file_, "fabric", "unknown fabric '" + id + "' (known: " + join_keys(fabrics_) + ")");
  return it->second;
}

std::vector<std::string> HardwareCatalog::system_ids() const {
  std::vector<std::string> ids;
  for (const auto& [k, v] : systems_) ids.push_back(k);
  return ids;
}

std::vector<std::string> HardwareCatalog::gpu_ids() const {
  std::vector<std::string> ids;
  for (const auto& [k, v] : gpus_) ids.push_back(k);
  return ids;
}

}  // namespace ct
