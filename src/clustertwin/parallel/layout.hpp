#pragma once
// A training layout: how the model and the batch are split over GPUs.
#include <string>

#include "clustertwin/hw/precision.hpp"
#include "clustertwin/model/model_spec.hpp"

namespace ct {

enum class Recompute { None, Selective, Full };
// How data-parallel replicas shard training state: DDP replicates everything; ZeRO-1 (Megatron's
// distributed optimizer) shards optimizer state; ZeRO-2 also gradients; ZeRO-3 / FSDP also weights.
enum class DpSharding { None, Zero1, Zero2, Zero3 };

struct ParallelLayout {
  int gpus = 1;
  int tp = 1, pp = 1, vp = 1, cp = 1, ep = 1;
  int dp = 1;                       // derived: gpus / (tp * pp * cp)
  bool sequence_parallel = true;    // Megatron SP (only meaningful with tp > 1)
  int micro_batch = 1;
  int global_batch = 1;             // sequences per optimizer step
  std::int64_t seq_len = 2048;
  Precision precision = Precision::BF16;
  Recompute recompute = Recompute::None;
  DpSharding sharding = DpSharding::Zero1;
  int shard_group = 0;              // FSDP hybrid sharding: shard within groups of this size (0 = all of DP)
  double moe_imbalance = 1.0;       // tokens on the busiest expert GPU / the balanced share (1 = force-balanced)
  bool lora = false;                // fine-tune low-rank adapters only: base weights frozen (no weight
                                    // gradients, no base optimizer state, no gradient reduction)

  int microbatches() const { return global_batch / (dp * micro_batch); }  // per pipeline, per step
  // Ranks that hold the same parameters (CP ranks replicate them too) and share their gradients.
  int replicas() const { return dp * cp; }
  int shard_size() const { return shard_group > 0 ? shard_group : replicas(); }
};

// Checks divisibility and ranges; throws InputError naming `source` and the field.
// Fills in dp from gpus.
void resolve_layout(ParallelLayout& l, const ModelSpec& m, const std::string& source);

std::string to_string(Recompute r);
std::string to_string(DpSharding s);

}  // namespace ct
