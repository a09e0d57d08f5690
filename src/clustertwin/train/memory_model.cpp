#include "clustertwin/train/memory_model.hpp"

namespace ct {

double layer_activation_bytes(const ModelSpec& m, const ParallelLayout& l, bool flash_attention) {
  const double s = static_cast<double>(l.seq_len) / l.cp, b = l.micro_batch, h = static_cast<double>(m.hidden);
  const double t = l.tp, a = static_cast<double>(m.heads);
  const double q = static_cast<double>(m.q_dim()) / h, kv = static_cast<double>(m.kv_dim()) / h;
  const double f = static_cast<double>(m.ffn_hidden) / h;
  const bool dropout = m.dropout > 0;
  // GEMM inputs Transformer Engine keeps in FP8 for the backward pass.
  const double in_bytes = is_low_precision(l.precision) ? gemm_operand_bytes(l.precision) : 2.0;
  // Per s*b*h, split into what TP shards and what it replicates without sequence parallelism.
  const double replicated = 2 /*input norm*/ + in_bytes /*QKV input*/ + 2 /*post-attn norm*/ + in_bytes /*fc1 input*/ +
                            (dropout ? 2 : 0) /*attention and MLP dropout masks*/;
  const double sharded = 2 * (q + 2 * kv) /*Q, K, V*/ + in_bytes * q /*attention output = proj input*/ +
                         2 * f * (m.gated_mlp() ? 2 : 1) /*activation input*/ + in_bytes * f /*fc2 input*/;
  double per_sbh = l.sequence_parallel ? (replicated + sharded) / t : replicated + sharded / t;
  double bytes = per_sbh * s * b * h;
  if (!flash_attention) bytes += 5.0 * a * s * s * b / t;  // softmax, its dropout mask and output
  return bytes;
}

double layer_checkpoint_bytes(const ModelSpec& m, const ParallelLayout& l) {
  const double s = static_cast<double>(l.seq_len) / l.cp;
  const double bytes = 2.0 * s * l.micro_batch * static_cast<double>(m.hidden);
  return l.sequence_parallel ? bytes / l.tp : bytes;
}

MemoryBreakdown state_memory(double params, const ParallelLayout& l, const SoftwareProfile& p) {
  const double shard = l.shard_size();
  MemoryBreakdown mem;
  double weight_bytes = p.weight_bytes_per_param;
  if (is_low_precision(l.precision)) {
    // Trained weights keep a narrow copy next to the BF16 ones; frozen (LoRA) base weights are
    // stored in the compute format only.
    weight_bytes = l.lora ? gemm_operand_bytes(l.precision) : weight_bytes + gemm_operand_bytes(l.precision);
  }
  mem.weights_bytes = params * weight_bytes / (l.sharding == DpSharding::Zero3 ? shard : 1.0);
  if (l.lora) return mem;  // frozen base: no gradients or optimizer state beyond the tiny adapters
  const bool shard_grads = l.sharding == DpSharding::Zero2 || l.sharding == DpSharding::Zero3;
  mem.gradients_bytes = params * p.grad_bytes_per_param / (shard_grads ? shard : 1.0);
  const bool shard_optimizer = l.sharding != DpSharding::None;
  mem.optimizer_bytes =
      params * (p.master_bytes_per_param + p.optimizer_state_bytes_per_param) / (shard_optimizer ? shard : 1.0);
  return mem;
}

}  // namespace ct
