#include "clustertwin/serve/serving_calibration.hpp"

#include "clustertwin/core/yaml_util.hpp"

namespace ct::serve {

double ServingCalibration::price_per_gpu_hour(const std::string& gpu_id) const {
  const auto it = gpu_hour_usd.find(gpu_id);
  return it == gpu_hour_usd.end() ? 0.0 : it->second;
}

namespace {

PcieCollectives load_pcie_collectives(const YAML::Node& root, const std::string& file) {
  const YAML::Node n = root["pcie"];
  if (!n || !n.IsMap()) throw InputError(file, "pcie", "missing section");
  PcieCollectives p;
  p.bus_fraction = yaml_number(n, "all_reduce_bus_fraction", file, "pcie");
  p.latency_s = yaml_number(n, "step_latency_us", file, "pcie") * 1e-6;
  if (p.bus_fraction <= 0 || p.bus_fraction > 1) throw InputError(file, "pcie.all_reduce_bus_fraction", "must be in (0, 1]");
  if (p.latency_s < 0) throw InputError(file, "pcie.step_latency_us", "must be >= 0");
  return p;
}

ServingKernels load_serving_kernels(const YAML::Node& root, const std::string& file) {
  const YAML::Node n = root["kernels"];
  if (!n || !n.IsMap()) throw InputError(file, "kernels", "missing section");
  ServingKernels k;
  k.nvfp4_gemm_fraction = yaml_number(n, "nvfp4_gemm_fraction", file, "kernels");
  if (k.nvfp4_gemm_fraction < 0 || k.nvfp4_gemm_fraction > 1)
    throw InputError(file, "kernels.nvfp4_gemm_fraction", "must be in [0, 1]");
  k.graph_kernel_gap_s = yaml_number(n, "graph_kernel_gap_us", file, "kernels") * 1e-6;
  if (k.graph_kernel_gap_s < 0) throw InputError(file, "kernels.graph_kernel_gap_us", "must be >= 0");
  const YAML::Node fused = n["fused_ops"];
  if (fused && !fused.IsSequence()) throw InputError(file, "kernels.fused_ops", "must be a list of op names");
  if (fused)
    for (const auto& op : fused) k.fused_ops.push_back(op.as<std::string>());
  return k;
}

}  // namespace

ServingCalibration load_serving_calibration(const std::string& data_dir) {
  const std::string file = data_dir + "/calibration/serving.yaml";
  const YAML::Node root = load_yaml_file(file);
  const YAML::Node e = root["engine"];
  if (!e || !e.IsMap()) throw InputError(file, "engine", "missing section");
  ServingCalibration c;
  EngineDefaults& d = c.engine;
  d.kv_block_tokens = yaml_positive_int(e, "kv_block_tokens", file, "engine");
  d.max_num_batched_tokens = yaml_positive_int(e, "max_num_batched_tokens", file, "engine");
  d.max_batch_size = yaml_positive_int(e, "max_batch_size", file, "engine");
  d.kv_free_memory_fraction = yaml_number(e, "kv_free_memory_fraction", file, "engine");
  d.kv_watermark_fraction = yaml_number(e, "kv_watermark_fraction", file, "engine");
  d.activation_bytes_per_batched_token_hidden =
      yaml_number(e, "activation_bytes_per_batched_token_hidden", file, "engine");
  d.iteration_overhead_s = yaml_number(e, "iteration_overhead_us", file, "engine") * 1e-6;
  if (d.kv_free_memory_fraction <= 0 || d.kv_free_memory_fraction > 1)
    throw InputError(file, "engine.kv_free_memory_fraction", "must be in (0, 1]");
  if (d.kv_watermark_fraction < 0 || d.kv_watermark_fraction >= 1)
    throw InputError(file, "engine.kv_watermark_fraction", "must be in [0, 1)");
  if (d.iteration_overhead_s < 0) throw InputError(file, "engine.iteration_overhead_us", "must be >= 0");
  c.pcie = load_pcie_collectives(root, file);
  c.kernels = load_serving_kernels(root, file);
  if (const YAML::Node p = root["gpu_hour_usd"]; p && p.IsMap()) {
    for (const auto& kv : p) {
      const std::string id = kv.first.as<std::string>();
      if (id == "sources") continue;
      c.gpu_hour_usd[id] = yaml_number(p, id, file, "gpu_hour_usd");
    }
  }
  return c;
}

}  // namespace ct::serve
