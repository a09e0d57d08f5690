#pragma once
// The work of one micro-batch on one GPU, as a sequence of named ops with their cost.
#include <string>
#include <vector>

#include "clustertwin/cost/calibration.hpp"
#include "clustertwin/hw/hardware.hpp"
#include "clustertwin/model/model_spec.hpp"
#include "clustertwin/parallel/layout.hpp"
#include "clustertwin/parallel/topology.hpp"
#include "clustertwin/workload/layer.hpp"

namespace ct {

// HostWait: the GPU idles while the CPU is still issuing the pass's kernels.
enum class OpKind { Gemm, Attention, Elementwise, TpComm, CpComm, EpComm, HostWait };

struct Op {
  std::string name;
  OpKind kind = OpKind::Gemm;
  double time_s = 0;   // as run (communication: its full duration)
  double flops = 0;    // executed FLOPs (0 for communication and memory-bound ops)
  double launches = 1; // kernels the host issues for it
};

// Ops of one pass with the time they add to the compute stream.
struct Pass {
  std::vector<Op> ops;
  double compute_s = 0;      // GEMM + attention + element-wise
  double tp_comm_s = 0;      // TP collectives, in full
  double tp_exposed_s = 0;   // the part not hidden under GEMMs
  double cp_comm_s = 0;      // ring-attention KV exchange, in full
  double cp_exposed_s = 0;   // the part not hidden under attention
  double ep_comm_s = 0;      // expert-parallel all-to-all (dispatch and combine), in full
  double ep_exposed_s = 0;   // the part not hidden
  double launches = 0;       // kernels the host issues
  double host_wait_s = 0;    // GPU idle while the host issues kernels (host-bound passes)
  double total_s() const { return compute_s + tp_exposed_s + cp_exposed_s + ep_exposed_s + host_wait_s; }
  void add(Op op);
};

struct CostContext {
  const ModelSpec& model;
  const ParallelLayout& layout;
  const SystemSpec& system;
  const DeviceCalibration& device;
  const KernelCalibration& kernels;
  const NetworkCalibration& network;
  const SoftwareProfile& profile;
  const LayoutTopology& topology;
};

// One layer, one micro-batch: forward, backward (data and weight gradients), and the extra
// forward work recompute adds before the backward.
struct LayerPasses {
  Pass fwd, bwd, recompute;
};
LayerPasses layer_passes(const CostContext& c, const LayerSpec& spec);
// How Megatron cuts a layer over the layout's TP, EP and ETP groups (its token dispatcher).
LayerParallelism layer_parallelism(const ParallelLayout& l);

// Token embedding (first stage) and LM head + cross-entropy loss (last stage).
LayerPasses embedding_passes(const CostContext& c);
LayerPasses lm_head_passes(const CostContext& c);

}  // namespace ct
