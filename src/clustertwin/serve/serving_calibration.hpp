#pragma once
// Engine defaults of the serving simulator (data/calibration/serving.yaml; every value there
// cites its source). Hardware peaks and achievable fractions are not here: they are shared with
// the training simulator (data/hardware/, data/calibration/devices.yaml).
#include <map>
#include <string>
#include <vector>

namespace ct::serve {

struct EngineDefaults {
  int kv_block_tokens = 16;             // tokens per paged-KV block
  int max_num_batched_tokens = 8192;    // token budget of one iteration (chunked prefill)
  int max_batch_size = 2048;            // sequences running at once
  double kv_free_memory_fraction = 0.9; // share of the memory left after weights given to KV blocks
  double kv_watermark_fraction = 0.01;  // blocks kept free when admitting a request
  double activation_bytes_per_batched_token_hidden = 24;  // workspace per batched token / hidden
  double iteration_overhead_s = 1.5e-3; // host-side cost of one engine iteration
};

// GPU-to-GPU traffic over PCIe (GPUs of one node outside a shared NVLink domain): achievable NCCL
// bus bandwidth as a fraction of the card's one-way PCIe bandwidth, and the cost of one step.
struct PcieCollectives {
  double bus_fraction = 0.5;
  double latency_s = 1e-5;
};

// Kernel efficiencies measured for inference kernels where devices.yaml (shared with training)
// has only an assumption.
struct ServingKernels {
  double nvfp4_gemm_fraction = 0;  // block-scaled FP4 GEMM / dense FP4 peak; 0 = devices.yaml value
  // GPU-side time between back-to-back kernels of a captured CUDA graph (the engines replay their
  // forward passes as graphs; runtime.yaml's launch overhead is the eager-mode gap of training).
  double graph_kernel_gap_s = 0;
  // Ops of the layer description the engines run inside a neighbouring kernel (RoPE inside the
  // attention kernel): no HBM pass or launch of their own.
  std::vector<std::string> fused_ops;
};

struct ServingCalibration {
  EngineDefaults engine;
  PcieCollectives pcie;
  ServingKernels kernels;
  std::map<std::string, double> gpu_hour_usd;  // by GPU id

  // Price of one GPU-hour, or 0 when the file has none for this GPU.
  double price_per_gpu_hour(const std::string& gpu_id) const;
};

// Reads `<data_dir>/calibration/serving.yaml`; InputError names the file and field.
ServingCalibration load_serving_calibration(const std::string& data_dir);

}  // namespace ct::serve
