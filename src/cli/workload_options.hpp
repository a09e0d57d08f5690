#pragma once
// The flags that describe a training workload and its layout, shared by `train` and `compare`.
#include <CLI/CLI.hpp>

#include "cli/number_flags.hpp"
#include "clustertwin/config/train_request.hpp"

namespace ct::cli {

inline void add_workload_options(CLI::App* c, TrainRequest& r) {
  c->add_option("--model", r.model, "Catalog model id (data/models) or path to a HuggingFace config.json");
  c->add_option("--gpus", r.gpus, "Number of GPUs")->check(checked(kPositiveCount));
  c->add_option("--tp", r.tp, "Tensor parallelism")->check(checked(kPositiveCount));
  c->add_option("--pp", r.pp, "Pipeline parallelism")->check(checked(kPositiveCount));
  c->add_option("--vp", r.vp, "Virtual pipeline stages per rank (interleaved 1F1B)")->check(checked(kPositiveCount));
  c->add_option("--cp", r.cp, "Context parallelism (ring attention)")->check(checked(kPositiveCount));
  c->add_option("--ep", r.ep, "Expert parallelism")->check(checked(kPositiveCount));
  c->add_option("--etp", r.etp, "Expert tensor parallelism (each expert's FFN split over this many GPUs)")->check(checked(kPositiveCount));
  c->add_option("--micro-batch", r.micro_batch, "Sequences per micro-batch")->check(checked(kPositiveCount));
  c->add_option("--global-batch", r.global_batch, "Sequences per optimizer step (default: one micro-batch per replica)")->check(checked(kPositiveCount));
  c->add_option("--seq-len", r.seq_len, "Sequence length, tokens")->check(checked(kPositiveCount));
  c->add_option("--precision", r.precision, "GEMM precision: bf16, fp16, fp8, fp8-block, mxfp8, nvfp4");
  c->add_option("--recompute", r.recompute, "Activation recompute: none, selective, full, or selective:MODULES (core_attn,layernorm,mla_up_proj,moe_act,mlp)");
  c->add_option("--moe-imbalance", r.moe_imbalance,
                 "MoE: tokens on the busiest expert GPU / the balanced share (1 = force-balanced, as in NVIDIA's benchmarks)")->check(checked(kMoeImbalanceRule));
  c->add_option("--moe-capacity-factor", r.moe_capacity_factor,
                "MoE: expert capacity / balanced share; tokens beyond it are dropped (0 = dropless)")->check(checked(kMoeCapacityFactorRule));
  c->add_option("--optimizer-offload", r.optimizer_offload,
                 "Share (0-1) of the optimizer state kept in host memory (Grace LPDDR5X on GB200/GB300) and updated by the CPU")->check(checked(kOptimizerOffloadRule));
  c->add_option("--activation-offload", r.activation_offload_layers,
                 "Layers per pipeline stage whose saved activations wait in host memory between forward and backward "
                 "(Megatron-Core cpu_offloading_num_layers; Grace memory over NVLink-C2C on GB200/GB300)")->check(checked(kNonNegativeCount));
  c->add_option("--nic-gb-s", r.nic_gb_s,
                 "What-if: scale-out NIC line rate per NIC in GB/s (50 = ConnectX-7 400G, 100 = ConnectX-8 800G)")->check(checked(kNicGbPerSRule));
  c->add_option("--ep-dispatch", r.ep_dispatch,
                "MoE token dispatcher: alltoall (one send per routed copy, Megatron-Core's default) or dedup (one send per "
                "destination node, fanned out over NVLink: the flex dispatcher with DeepEP / HybridEP)")
      ->check(CLI::IsMember({"alltoall", "dedup"}));
  c->add_option("--zero", r.zero, "Data-parallel sharding: ddp, zero1 (distributed optimizer), zero2, zero3/fsdp");
}

}  // namespace ct::cli
