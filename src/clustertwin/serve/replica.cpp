#include "clustertwin/serve/replica.hpp"

#include <fmt/format.h>

#include <cmath>

#include "clustertwin/model/params.hpp"
#include "clustertwin/serve/kv_cache.hpp"

namespace ct::serve {

namespace {
constexpr double kBf16Bytes = 2.0;
constexpr double kNvfp4BlockElements = 16.0;  // one FP8 (1 byte) scale per block
constexpr double kMxfp8BlockElements = 32.0;  // one E8M0 (1 byte) scale per block
}  // namespace

EngineLimits EngineLimits::from(const ServingCalibration& c) {
  const EngineDefaults& d = c.engine;
  return {d.kv_block_tokens,        d.max_num_batched_tokens, d.max_batch_size,
          d.kv_free_memory_fraction, d.kv_watermark_fraction,  d.activation_bytes_per_batched_token_hidden,
          d.iteration_overhead_s,   c.pcie, c.kernels};
}

double weight_bytes_per_param(Precision p) {
  switch (p) {
    case Precision::NVFP4: return gemm_operand_bytes(p) + 1.0 / kNvfp4BlockElements;
    case Precision::MXFP8: return gemm_operand_bytes(p) + 1.0 / kMxfp8BlockElements;
    default: return gemm_operand_bytes(p);
  }
}

double attention_weight_params(const ModelSpec& m) {
  return attention_params(m) * static_cast<double>(kv_cache_layers(m));
}

double replica_kv_bytes_per_token_per_gpu(const ReplicaSpec& r) {
  if (!r.attention_dp) return kv_bytes_per_token_per_gpu(r.model, r.kv_element_bytes, r.tp, r.pp);
  return kv_bytes_per_token_per_gpu(r.model, r.kv_element_bytes, 1, r.pp) / r.tp;
}

MemoryPlan plan_memory(const ReplicaSpec& r, const EngineLimits& limits, const MemoryCalibration& mem) {
  const ModelSpec& m = r.model;
  MemoryPlan plan;
  const double shards = static_cast<double>(r.tp) * r.pp;
  const double edge_params = embedding_params(m) + lm_head_params(m);
  const double body_params = total_params(m) - edge_params - mtp_params(m);
  plan.weight_bytes_per_gpu = (body_params * weight_bytes_per_param(r.weights) + edge_params * kBf16Bytes) / shards;
  if (r.attention_dp)  // every TP rank keeps all attention weights of its stage
    plan.weight_bytes_per_gpu += attention_weight_params(m) * weight_bytes_per_param(r.weights) * (r.tp - 1) / shards;
  plan.activation_bytes_per_gpu = static_cast<double>(limits.max_num_batched_tokens) *
                                  static_cast<double>(m.hidden) * limits.activation_bytes_per_token_hidden;
  plan.reserved_bytes_per_gpu = mem.runtime_reserved_bytes;
  const double hbm = r.system.gpu.hbm_bytes;
  const double free_bytes =
      hbm - plan.weight_bytes_per_gpu - plan.activation_bytes_per_gpu - plan.reserved_bytes_per_gpu;
  plan.kv_bytes_per_token_per_gpu = replica_kv_bytes_per_token_per_gpu(r);
  if (free_bytes <= 0) {
    plan.reason = fmt::format("weights need {:.1f} GB per GPU, {} has {:.1f} GB", plan.weight_bytes_per_gpu / 1e9,
                              r.system.gpu.name, hbm / 1e9);
    return plan;
  }
  plan.kv_bytes_per_gpu = free_bytes * limits.kv_free_memory_fraction;
  const double tokens = plan.kv_bytes_per_gpu / plan.kv_bytes_per_token_per_gpu;
  plan.kv_blocks_per_engine = static_cast<long long>(std::floor(tokens / limits.kv_block_tokens / r.pp));
  if (plan.kv_blocks_per_engine <= 0) {
    plan.reason = fmt::format("no memory left for the KV cache ({:.1f} GB free per GPU)", free_bytes / 1e9);
    return plan;
  }
  plan.fits = true;
  return plan;
}

}  // namespace ct::serve
