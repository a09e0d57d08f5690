#include "clustertwin/config/calibration_loader.hpp"

#include "clustertwin/parallel/layout.hpp"

#include "clustertwin/core/error.hpp"
#include "clustertwin/core/units.hpp"
#include "clustertwin/core/yaml_util.hpp"

namespace ct {
namespace {

double fraction(const YAML::Node& n, const std::string& key, const std::string& file, const std::string& where) {
  const double v = yaml_number(n, key, file, where);
  if (v <= 0 || v > 1) throw InputError(file, where + "." + key, "must be in (0, 1]");
  return v;
}

AttentionKernel parse_kernel(const std::string& s, const std::string& file, const std::string& where) {
  if (s == "flash2") return AttentionKernel::FlashAttention2;
  if (s == "native") return AttentionKernel::Native;
  if (s == "unfused") return AttentionKernel::Unfused;
  throw InputError(file, where, "unknown attention kernel '" + s + "' (flash2, native, unfused)");
}

DeviceCalibration parse_device(const YAML::Node& n, const std::string& file, const std::string& at) {
  DeviceCalibration d;
  const YAML::Node g = n["gemm_fraction"];
  if (!g || !g.IsMap()) throw InputError(file, at + ".gemm_fraction", "missing");
  const std::pair<const char*, PeakFormat> formats[] = {
      {"bf16", PeakFormat::BF16}, {"fp16", PeakFormat::FP16}, {"fp8", PeakFormat::FP8}, {"fp4", PeakFormat::FP4}};
  for (const auto& [key, fmt] : formats)
    if (g[key]) d.gemm_fraction[fmt] = fraction(g, key, file, at + ".gemm_fraction");
  if (!d.gemm_fraction.count(PeakFormat::BF16)) throw InputError(file, at + ".gemm_fraction.bf16", "missing");
  d.hbm_fraction = fraction(n, "hbm_fraction", file, at);
  d.sustained_tensor_fraction = fraction(n, "sustained_tensor_fraction", file, at);
  d.nvlink_ring_fraction = fraction(n, "nvlink_ring_fraction", file, at);
  d.nvls_all_reduce_speedup = yaml_number(n, "nvls_all_reduce_speedup", file, at);
  const YAML::Node a = n["attention"];
  if (!a || !a.IsMap()) throw InputError(file, at + ".attention", "missing");
  for (const auto& kv : a) {
    const std::string name = kv.first.as<std::string>();
    const std::string where = at + ".attention." + name;
    d.attention[parse_kernel(name, file, where)] = {fraction(kv.second, "fwd", file, where),
                                                     fraction(kv.second, "bwd", file, where)};
  }
  return d;
}

}  // namespace

const DeviceCalibration& Calibration::device(const std::string& gpu_id) const {
  auto it = by_gpu.find(gpu_id);
  if (it == by_gpu.end())
    throw InputError("data/calibration/devices.yaml", "devices", "no calibration for GPU '" + gpu_id + "'");
  return it->second;
}

namespace {

PowerCalibration load_power_calibration(const std::string& file) {
  const YAML::Node root = load_yaml_file(file);
  const YAML::Node g = root["gpu"], n = root["node"];
  PowerCalibration p;
  p.tensor_share = fraction(g, "tensor_share", file, "gpu");
  p.hbm_share = fraction(g, "hbm_share", file, "gpu");
  p.dvfs_exponent = yaml_number(g, "dvfs_exponent", file, "gpu");
  if (p.dvfs_exponent < 1 || p.dvfs_exponent > 4) throw InputError(file, "gpu.dvfs_exponent", "must be between 1 and 4");
  p.min_clock_fraction = fraction(g, "min_clock_fraction", file, "gpu");
  p.host_idle_w_per_gpu = yaml_number(n, "host_idle_w_per_gpu", file, "node");
  p.host_loaded_w_per_gpu = yaml_number(n, "host_loaded_w_per_gpu", file, "node");
  if (p.host_idle_w_per_gpu < 0 || p.host_loaded_w_per_gpu < p.host_idle_w_per_gpu)
    throw InputError(file, "node.host_loaded_w_per_gpu", "must be at least host_idle_w_per_gpu, both non-negative");
  p.psu_capacity_per_node_max = yaml_number(n, "psu_capacity_per_node_max", file, "node");
  if (p.psu_capacity_per_node_max < 1) throw InputError(file, "node.psu_capacity_per_node_max", "must be at least 1");
  const YAML::Node curve = n["psu_efficiency"];
  if (!curve || !curve.IsSequence() || curve.size() == 0)
    throw InputError(file, "node.psu_efficiency", "must be a list of [load fraction, efficiency] pairs");
  for (std::size_t i = 0; i < curve.size(); ++i) {
    const std::string at = "node.psu_efficiency[" + std::to_string(i) + "]";
    if (!curve[i].IsSequence() || curve[i].size() != 2) throw InputError(file, at, "must be [load fraction, efficiency]");
    const double load = curve[i][0].as<double>(), eff = curve[i][1].as<double>();
    if (!(load > 0 && load <= 1 && eff > 0 && eff <= 1)) throw InputError(file, at, "load and efficiency must be in (0, 1]");
    if (!p.psu_efficiency.empty() && load <= p.psu_efficiency.back().first)
      throw InputError(file, at, "loads must be ascending");
    p.psu_efficiency.emplace_back(load, eff);
  }
  return p;
}

}  // namespace

Calibration load_calibration(const std::string& dir) {
  Calibration cal;
  const std::string dev_file = dir + "/devices.yaml";
  const YAML::Node dev_root = load_yaml_file(dev_file);
  const YAML::Node devices = dev_root["devices"];
  if (!devices || !devices.IsSequence()) throw InputError(dev_file, "devices", "missing list");
  for (std::size_t i = 0; i < devices.size(); ++i) {
    const std::string at = "devices[" + std::to_string(i) + "]";
    const std::string gpu = yaml_string(devices[i], "gpu", dev_file, at);
    cal.by_gpu[gpu] = parse_device(devices[i], dev_file, at + "(" + gpu + ")");
  }
  const std::string rt_file = dir + "/runtime.yaml";
  const YAML::Node rt = load_yaml_file(rt_file);
  const YAML::Node k = rt["kernels"], net = rt["network"], mem = rt["memory"];
  cal.kernels.launch_overhead_s = yaml_number(k, "launch_overhead_us", rt_file, "kernels") * units::kMicro;
  cal.kernels.gemm_tile_m = yaml_number(k, "gemm_tile_m", rt_file, "kernels");
  cal.kernels.gemm_tile_n = yaml_number(k, "gemm_tile_n", rt_file, "kernels");
  cal.kernels.attention_seq_half = yaml_number(k, "attention_seq_half", rt_file, "kernels");
  cal.network.nvlink_latency_s = yaml_number(net, "nvlink_latency_us", rt_file, "network") * units::kMicro;
  cal.network.scale_out_latency_s = yaml_number(net, "scale_out_latency_us", rt_file, "network") * units::kMicro;
  cal.memory.runtime_reserved_bytes = yaml_number(mem, "runtime_reserved_gb", rt_file, "memory") * units::kGB;
  cal.power = load_power_calibration(dir + "/power.yaml");
  return cal;
}

namespace {
// `recompute_modules: [moe_act, layernorm, ...]`: each prefix of the list is one ladder step.
std::vector<unsigned> recompute_ladder(const YAML::Node& n, const std::string& path, const std::string& at) {
  std::vector<unsigned> ladder;
  const YAML::Node list = n["recompute_modules"];
  if (!list) return ladder;
  if (!list.IsSequence()) throw InputError(path, at + ".recompute_modules", "must be a list of module names");
  ParallelLayout l;
  unsigned mask = 0;
  for (const auto& module : list) {
    parse_recompute("selective:" + module.as<std::string>(), path + " (" + at + ".recompute_modules)", l);
    ladder.push_back(mask |= l.recompute_modules);
  }
  return ladder;
}
}  // namespace

namespace {

// One profile entry. With `base`, every field not given is the base profile's (a stack version
// that changes a few constants of its stack); without, every field but the optional ones is required.
SoftwareProfile parse_profile(const YAML::Node& n, const SoftwareProfile* base, const std::string& path,
                              const std::string& at) {
  SoftwareProfile p = base ? *base : SoftwareProfile{};
  auto number = [&](const char* key, double& field, double scale = 1.0) {
    field = (base ? yaml_number_or(n, key, field / scale, path, at) : yaml_number(n, key, path, at)) * scale;
  };
  auto optional = [&](const char* key, double& field, double scale = 1.0) {
    field = yaml_number_or(n, key, field / scale, path, at) * scale;
  };
  if (n["attention"] || !base) p.attention = parse_kernel(yaml_string(n, "attention", path, at), path, at + ".attention");
  number("tp_comm_overlap", p.tp_comm_overlap);
  optional("ep_comm_overlap", p.ep_comm_overlap);
  number("elementwise_passes", p.elementwise_passes);
  number("fp8_cast_passes", p.fp8_cast_passes);
  number("grad_reduce_bytes", p.grad_reduce_bytes);
  number("dp_bucket_params", p.dp_bucket_params);
  number("step_overhead_ms", p.step_overhead_s, 1e-3);
  number("microbatch_overhead_ms", p.microbatch_overhead_s, 1e-3);
  optional("host_kernel_us", p.host_kernel_s, units::kMicro);
  if (p.host_kernel_s < 0) throw InputError(path, at + ".host_kernel_us", "must not be negative");
  number("weight_bytes_per_param", p.weight_bytes_per_param);
  number("master_bytes_per_param", p.master_bytes_per_param);
  number("grad_bytes_per_param", p.grad_bytes_per_param);
  number("optimizer_state_bytes_per_param", p.optimizer_state_bytes_per_param);
  number("logits_bytes_per_element", p.logits_bytes_per_element);
  if (n["recompute_modules"] || !base) p.recompute_ladder = recompute_ladder(n, path, at);
  if (p.tp_comm_overlap < 0 || p.tp_comm_overlap > 1) throw InputError(path, at + ".tp_comm_overlap", "must be in [0, 1]");
  return p;
}

}  // namespace

std::map<std::string, SoftwareProfile> load_profiles(const std::string& path) {
  std::map<std::string, SoftwareProfile> out;
  const YAML::Node root = load_yaml_file(path);
  const YAML::Node list = root["profiles"];
  if (!list || !list.IsSequence()) throw InputError(path, "profiles", "missing list");
  for (std::size_t i = 0; i < list.size(); ++i) {
    const YAML::Node n = list[i];
    const std::string name = yaml_string(n, "name", path, "profiles[" + std::to_string(i) + "]");
    const std::string at = "profiles(" + name + ")";
    const SoftwareProfile* base = nullptr;
    if (n["base"]) {
      const std::string b = yaml_string(n, "base", path, at);
      const auto it = out.find(b);
      if (it == out.end()) throw InputError(path, at + ".base", "'" + b + "' is not a profile defined above it");
      base = &it->second;
    }
    SoftwareProfile p = parse_profile(n, base, path, at);
    p.name = name;
    p.base = base ? base->stack() : "";  // a release of a release still belongs to the stack
    p.stack_versions.clear();
    if (const YAML::Node v = n["stack_versions"]) {
      if (!base) throw InputError(path, at + ".stack_versions", "only a profile with a base is tied to stack versions");
      if (!v.IsSequence()) throw InputError(path, at + ".stack_versions", "must be a list of release names");
      for (const auto& r : v) p.stack_versions.push_back(r.as<std::string>());
    }
    out[name] = std::move(p);
  }
  return out;
}

}  // namespace ct
