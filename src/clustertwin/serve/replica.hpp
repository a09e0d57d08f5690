#pragma once
// One serving replica: a model on TP x PP GPUs of a system, its numeric formats, and how its GPU
// memory divides into weights, workspace and paged KV cache.
#include <string>

#include "clustertwin/cost/calibration.hpp"
#include "clustertwin/hw/hardware.hpp"
#include "clustertwin/hw/precision.hpp"
#include "clustertwin/model/model_spec.hpp"
#include "clustertwin/serve/serving_calibration.hpp"

namespace ct::serve {

struct ReplicaSpec {
  ModelSpec model;
  SystemSpec system;
  int tp = 1;
  int pp = 1;
  Precision weights = Precision::BF16;  // GEMM weight and activation format
  double kv_element_bytes = 2.0;        // 2 = BF16 KV cache, 1 = FP8 KV cache
  // Attention data parallelism (TensorRT-LLM enable_attention_dp, SGLang --enable-dp-attention):
  // each of the TP ranks attends its own share of the sequences with all heads and a full copy
  // of the attention weights; only the MoE/MLP part is split over the ranks.
  bool attention_dp = false;
  double power_limit_w = 0;  // per GPU (nvidia-smi -pl, MLPerf MaxQ); 0 = the TDP
  int gpus() const { return tp * pp; }
};

// KV-cache bytes one GPU holds per token of the replica's batch: heads split by TP, or with
// attention DP the whole token's cache on the one rank that owns the sequence (1/tp on average,
// and no replication of MLA latents or of KV heads fewer than the ranks).
double replica_kv_bytes_per_token_per_gpu(const ReplicaSpec& r);
// Attention projection weights of the whole model (the part attention DP replicates).
double attention_weight_params(const ModelSpec& m);

// Engine limits of a replica (defaults from serving.yaml, overridable per run).
struct EngineLimits {
  int kv_block_tokens = 16;
  int max_num_batched_tokens = 8192;
  int max_batch_size = 2048;
  double kv_free_memory_fraction = 0.9;
  double kv_watermark_fraction = 0.01;
  double activation_bytes_per_token_hidden = 24;  // forward workspace per batched token / hidden
  double iteration_overhead_s = 0;
  PcieCollectives pcie;  // how the replica's GPUs talk where they share no NVLink domain
  ServingKernels kernels;  // inference-kernel efficiencies that override devices.yaml
  static EngineLimits from(const ServingCalibration& c);
};

// Bytes of one weight element as stored, block scales included: NVFP4 shares one FP8 scale per
// 16 elements (NVIDIA NVFP4 format), MXFP8 one E8M0 scale per 32.
double weight_bytes_per_param(Precision p);

struct MemoryPlan {
  double weight_bytes_per_gpu = 0;
  double activation_bytes_per_gpu = 0;
  double reserved_bytes_per_gpu = 0;
  double kv_bytes_per_gpu = 0;          // given to KV blocks
  double kv_bytes_per_token_per_gpu = 0;
  long long kv_blocks_per_engine = 0;   // one engine per pipeline stage in flight (see engine.hpp)
  bool fits = false;
  std::string reason;                   // why not, when !fits
};

// Weights (embedding and LM head in BF16, as ModelOpt/TensorRT-LLM checkpoints keep them; the rest
// in the weight format), the forward workspace of one iteration, the runtime's reserve, and what
// is left for the KV cache, split over the `pp` engines that share the replica.
MemoryPlan plan_memory(const ReplicaSpec& r, const EngineLimits& limits, const MemoryCalibration& mem);

}  // namespace ct::serve
