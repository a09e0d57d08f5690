#pragma once
// Memory of one GPU during a training step: weights, gradients, optimizer state (sharded as the
// data-parallel mode says), activations (Korthikanti et al. 2022, generalised) and the rest.
#include "clustertwin/cost/calibration.hpp"
#include "clustertwin/model/model_spec.hpp"
#include "clustertwin/parallel/layout.hpp"

namespace ct {

struct MemoryBreakdown {
  double weights_bytes = 0, gradients_bytes = 0, optimizer_bytes = 0, activations_bytes = 0, other_bytes = 0;
  double host_bytes = 0;  // optimizer state offloaded to host memory (not in total_bytes)
  double total_bytes() const { return weights_bytes + gradients_bytes + optimizer_bytes + activations_bytes + other_bytes; }
};

// Activation bytes one layer keeps for its backward pass, per micro-batch, on one GPU. For a GPT
// layer (MHA, a 4h GeLU MLP, dropout, no flash attention) this is Korthikanti's
// s b h (34 + 5 a s / h) (eq. 1), divided by t with sequence parallelism, and
// s b h (10 + 24/t + 5 a s/(h t)) without it (eq. 2). `flash_attention` drops the 5 a s/h term.
// Other layer kinds (MLA, Mamba-2, MoE) count their saved tensors the same way.
double layer_activation_bytes(const ModelSpec& m, const ParallelLayout& l, const LayerSpec& spec, bool flash_attention);
double layer_activation_bytes(const ModelSpec& m, const ParallelLayout& l, bool flash_attention);

// Bytes a layer keeps under full recompute: its input only (2 s b h, / t with sequence parallelism).
double layer_checkpoint_bytes(const ModelSpec& m, const ParallelLayout& l);

// Weights, gradients and optimizer state of `params_on_gpu` parameters (already divided by TP/PP).
// `shard` = ranks the sharded state is split over (0: the layout's data-parallel shard size).
MemoryBreakdown state_memory(double params_on_gpu, const ParallelLayout& l, const SoftwareProfile& p, int shard = 0);

}  // namespace ct
