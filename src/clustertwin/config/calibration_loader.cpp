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

std::map<std::string, SoftwareProfile> load_profiles(const std::string& path) {
  std::map<std::string, SoftwareProfile> out;
  const YAML::Node root = load_yaml_file(path);
  const YAML::Node list = root["profiles"];
  if (!list || !list.IsSequence()) throw InputError(path, "profiles", "missing list");
  for (std::size_t i = 0; i < list.size(); ++i) {
    const YAML::Node n = list[i];
    SoftwareProfile p;
    p.name = yaml_string(n, "name", path, "profiles[" + std::to_string(i) + "]");
    const std::string at = "profiles(" + p.name + ")";
    p.attention = parse_kernel(yaml_string(n, "attention", path, at), path, at + ".attention");
    p.tp_comm_overlap = yaml_number(n, "tp_comm_overlap", path, at);
    p.ep_comm_overlap = yaml_number_or(n, "ep_comm_overlap", 0.0, path, at);
    p.elementwise_passes = yaml_number(n, "elementwise_passes", path, at);
    p.fp8_cast_passes = yaml_number(n, "fp8_cast_passes", path, at);
    p.grad_reduce_bytes = yaml_number(n, "grad_reduce_bytes", path, at);
    p.dp_bucket_params = yaml_number(n, "dp_bucket_params", path, at);
    p.step_overhead_s = yaml_number(n, "step_overhead_ms", path, at) * 1e-3;
    p.microbatch_overhead_s = yaml_number(n, "microbatch_overhead_ms", path, at) * 1e-3;
    p.host_kernel_s = yaml_number_or(n, "host_kernel_us", 0.0, path, at) * units::kMicro;
    if (p.host_kernel_s < 0) throw InputError(path, at + ".host_kernel_us", "must not be negative");
    p.weight_bytes_per_param = yaml_number(n, "weight_bytes_per_param", path, at);
    p.master_bytes_per_param = yaml_number(n, "master_bytes_per_param", path, at);
    p.grad_bytes_per_param = yaml_number(n, "grad_bytes_per_param", path, at);
    p.optimizer_state_bytes_per_param = yaml_number(n, "optimizer_state_bytes_per_param", path, at);
    p.logits_bytes_per_element = yaml_number(n, "logits_bytes_per_element", path, at);
    p.recompute_ladder = recompute_ladder(n, path, at);
    if (p.tp_comm_overlap < 0 || p.tp_comm_overlap > 1) throw InputError(path, at + ".tp_comm_overlap", "must be in [0, 1]");
    out[p.name] = p;
  }
  return out;
}

}  // namespace ct
