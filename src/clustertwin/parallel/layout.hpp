#pragma once
// A training layout: how the model and the batch are split over GPUs.
#include <string>

#include "clustertwin/hw/precision.hpp"
#include "clustertwin/model/model_spec.hpp"

namespace ct {

enum class Recompute { None, Selective, Full };
// Megatron-Core selective-recompute modules (`recompute_modules`): each drops the tensors its
// module saves for backward and re-runs the module's forward during backward.
enum RecomputeModule : unsigned {
  kRecomputeCoreAttn = 1,   // attention core (Korthikanti's selective recompute)
  kRecomputeLayerNorm = 2,  // norm outputs feeding the projections
  kRecomputeMlaUpProj = 4,  // MLA Q and KV up-projections (Q, K, V not kept)
  kRecomputeMoeAct = 8,     // routed experts' activation function (fc2 input not kept)
  kRecomputeMlp = 16,       // dense MLP blocks (only their input kept)
};
// How data-parallel replicas shard training state: DDP replicates everything; ZeRO-1 (Megatron's
// distributed optimizer) shards optimizer state; ZeRO-2 also gradients; ZeRO-3 / FSDP also weights.
enum class DpSharding { None, Zero1, Zero2, Zero3 };

struct ParallelLayout {
  int gpus = 1;
  int tp = 1, pp = 1, vp = 1, cp = 1, ep = 1;
  int etp = 1;                      // expert tensor parallelism: each expert's FFN split over etp ranks
  int dp = 1;                       // derived: gpus / (tp * pp * cp)
  bool sequence_parallel = true;    // Megatron SP (only meaningful with tp > 1)
  int micro_batch = 1;
  int global_batch = 1;             // sequences per optimizer step
  std::int64_t seq_len = 2048;
  Precision precision = Precision::BF16;
  Recompute recompute = Recompute::None;
  unsigned recompute_modules = kRecomputeCoreAttn;  // RecomputeModule bits, used with Recompute::Selective
  DpSharding sharding = DpSharding::Zero1;
  int shard_group = 0;              // FSDP hybrid sharding: shard within groups of this size (0 = all of DP)
  double moe_imbalance = 1.0;       // tokens on the busiest expert GPU / the balanced share (1 = force-balanced)
  double optimizer_offload = 0;     // share of the optimizer state (FP32 master, Adam moments) kept in host
                                    // memory and updated by the CPU (Megatron optimizer_cpu_offload)
  int activation_offload_layers = 0;  // layers per pipeline rank whose saved activations wait in host memory
                                      // between forward and backward (Megatron-Core cpu_offloading_num_layers)
  double moe_capacity_factor = 0;   // expert capacity / the balanced share; tokens beyond it are dropped (0 = dropless)
  bool lora = false;                // fine-tune low-rank adapters only: base weights frozen (no weight
                                    // gradients, no base optimizer state, no gradient reduction)
  bool ep_node_dedup = false;       // MoE dispatch sends a token once per destination node (Megatron-Core flex
                                    // dispatcher with DeepEP / HybridEP) instead of once per routed copy (alltoall)

  int microbatches() const { return global_batch / (dp * micro_batch); }  // per pipeline, per step
  // Ranks that hold the same parameters (CP ranks replicate them too) and share their gradients.
  int replicas() const { return dp * cp; }
  int shard_size() const { return shard_group > 0 ? shard_group : replicas(); }
  bool recomputes(RecomputeModule m) const { return recompute == Recompute::Selective && (recompute_modules & m); }
};

// Checks divisibility and ranges; throws InputError naming `source` and the field.
// Fills in dp from gpus.
void resolve_layout(ParallelLayout& l, const ModelSpec& m, const std::string& source);

std::string to_string(Recompute r);
// "none", "full", "selective" (core attention only) or "selective:mla_up_proj,moe_act".
std::string recompute_name(const ParallelLayout& l);
// For tables: "-", "full", the modules in short joined by '+' ("ln+mlp", "attn" for core_attn), or
// "offN": no recompute, the activations of N layers per stage offloaded to host memory.
std::string recompute_short_name(const ParallelLayout& l);
// Parses such a name into l.recompute and l.recompute_modules; throws InputError naming `source`.
void parse_recompute(const std::string& name, const std::string& source, ParallelLayout& l);
std::string to_string(DpSharding s);

}  // namespace ct
