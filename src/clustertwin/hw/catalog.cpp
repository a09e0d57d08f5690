#include "clustertwin/hw/catalog.hpp"

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

template <typename Fn>
void for_each_entry(const std::string& file, const char* list_key, Fn&& fn) {
  const YAML::Node root = load_yaml_file(file);
  const YAML::Node list = root[list_key];
  if (!list || !list.IsSequence()) throw InputError(file, list_key, "missing list");
  for (std::size_t i = 0; i < list.size(); ++i)
    fn(list[i], std::string(list_key) + "[" + std::to_string(i) + "]");
}

}  // namespace

HardwareCatalog HardwareCatalog::load(const std::string& dir) {
  HardwareCatalog cat;
  const std::string gpu_file = dir + "/gpus.yaml";
  for_each_entry(gpu_file, "gpus", [&](const YAML::Node& n, const std::string& where) {
    GpuSpec g = parse_gpu(n, gpu_file, where);
    cat.gpu_fields_without_source_[g.id] = fields_without_source(n);
    cat.gpus_[g.id] = std::move(g);
  });
  const std::string fabric_file = dir + "/fabrics.yaml";
  for_each_entry(fabric_file, "fabrics", [&](const YAML::Node& n, const std::string& where) {
    FabricSpec f = parse_fabric(n, fabric_file, where);
    cat.fabrics_[f.id] = std::move(f);
  });
  const std::string sys_file = dir + "/systems.yaml";
  for_each_entry(sys_file, "systems", [&](const YAML::Node& n, const std::string& where) {
    SystemSpec s;
    s.id = yaml_string(n, "id", sys_file, where);
    const std::string at = where + "(" + s.id + ")";
    s.name = yaml_string_or(n, "name", s.id);
    const std::string gpu_id = yaml_string(n, "gpu", sys_file, at);
    if (!cat.gpus_.count(gpu_id)) throw InputError(sys_file, at + ".gpu", "unknown GPU '" + gpu_id + "'");
    s.gpu = cat.gpus_.at(gpu_id);
    const std::string fabric_id = yaml_string(n, "fabric", sys_file, at);
    if (!cat.fabrics_.count(fabric_id))
      throw InputError(sys_file, at + ".fabric", "unknown fabric '" + fabric_id + "'");
    s.fabric = cat.fabrics_.at(fabric_id);
    s.gpus_per_node = yaml_positive_int(n, "gpus_per_node", sys_file, at);
    s.nvlink_domain_gpus = yaml_positive_int(n, "nvlink_domain_gpus", sys_file, at);
    s.nvls = yaml_bool_or(n, "nvls", false, sys_file, at);
    s.nics_per_gpu = yaml_number(n, "nics_per_gpu", sys_file, at);
    s.nic_bytes_per_s = yaml_number(n, "nic_gb_s", sys_file, at) * units::kGB;
    s.node_power_max_w = yaml_number_or(n, "node_power_max_w", 0.0, sys_file, at);
    s.rack_power_w = yaml_number_or(n, "rack_power_w", 0.0, sys_file, at);
    s.storage_write_bytes_per_s_per_node =
        yaml_number_or(n, "storage_write_gb_s_per_node", 0.0, sys_file, at) * units::kGB;
    s.host_memory_bytes_per_gpu = yaml_number_or(n, "host_memory_gb_per_gpu", 0.0, sys_file, at) * units::kGB;
    s.host_memory_bytes_per_s_per_gpu = yaml_number_or(n, "host_memory_gb_s_per_gpu", 0.0, sys_file, at) * units::kGB;
    s.host_link_bytes_per_s = yaml_number_or(n, "host_link_gb_s", 0.0, sys_file, at) * units::kGB;
    // An NVLink domain smaller than the node is a PCIe server with NVLink-bridged cards (pairs,
    // quads) or none (1): the domains must tile the node.
    if (s.nvlink_domain_gpus < s.gpus_per_node && s.gpus_per_node % s.nvlink_domain_gpus != 0)
      throw InputError(sys_file, at + ".nvlink_domain_gpus", "smaller than gpus_per_node and does not divide it");
    cat.systems_[s.id] = std::move(s);
  });
  return cat;
}

const GpuSpec& HardwareCatalog::gpu(const std::string& id) const {
  auto it = gpus_.find(id);
  if (it == gpus_.end()) throw InputError("data/hardware/gpus.yaml", "gpu", "unknown GPU '" + id + "' (known: " + join_keys(gpus_) + ")");
  return it->second;
}

const SystemSpec& HardwareCatalog::system(const std::string& id) const {
  auto it = systems_.find(id);
  if (it == systems_.end())
    throw InputError("data/hardware/systems.yaml", "system", "unknown system '" + id + "' (known: " + join_keys(systems_) + ")");
  return it->second;
}

const FabricSpec& HardwareCatalog::fabric(const std::string& id) const {
  auto it = fabrics_.find(id);
  if (it == fabrics_.end()) throw InputError("data/hardware/fabrics.yaml", "fabric", "unknown fabric '" + id + "'");
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
