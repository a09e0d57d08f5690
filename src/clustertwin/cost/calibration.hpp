#pragma once
// Achievable fractions of hardware peaks and software-stack profiles. Plain data: the values
// come from data/calibration/*.yaml, where each one cites the measurement it comes from.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "clustertwin/hw/precision.hpp"

namespace ct {

// Attention kernel family: FlashAttention-2 style, the Hopper/Blackwell-native kernels (cuDNN
// fused attention, FlashAttention-3/4) that Transformer Engine uses, or the pre-2022 unfused
// path (batched GEMMs around a materialised softmax, as in Megatron-LM 2021-22).
enum class AttentionKernel { FlashAttention2, Native, Unfused };
// The names profiles.yaml and devices.yaml use.
inline const char* to_string(AttentionKernel k) {
  return k == AttentionKernel::FlashAttention2 ? "flash2" : k == AttentionKernel::Native ? "native" : "unfused";
}

struct AttentionEfficiency {
  double fwd_fraction = 0.5;  // of the BF16 dense peak, long sequences
  double bwd_fraction = 0.4;
};

struct DeviceCalibration {
  std::map<PeakFormat, double> gemm_fraction;  // best-shape achievable GEMM fraction of peak (MAMF)
  std::map<AttentionKernel, AttentionEfficiency> attention;
  // Tensor-core throughput sustained through a whole training step relative to the short
  // benchmarks the fractions above come from (clock and power throttling under continuous load).
  double sustained_tensor_fraction = 1.0;
  double hbm_fraction = 0.87;          // achievable fraction of HBM peak (STREAM-like)
  double nvlink_ring_fraction = 0.80;  // ring all-gather/reduce-scatter bus bandwidth / NVLink unidir
  double nvls_all_reduce_speedup = 1.0;  // all-reduce bus bandwidth gain from NVLink SHARP

  // The GEMM fraction of format `f`; where no micro-benchmark measured it, the next wider
  // format's fraction of its own peak (FP4 -> FP8 -> BF16).
  double gemm_fraction_of(PeakFormat f) const {
    if (auto it = gemm_fraction.find(f); it != gemm_fraction.end()) return it->second;
    if (f == PeakFormat::FP4) return gemm_fraction_of(PeakFormat::FP8);
    return gemm_fraction.at(PeakFormat::BF16);
  }
};

struct KernelCalibration {
  double launch_overhead_s = 4e-6;  // fixed cost of one kernel (launch + tail)
  double gemm_tile_m = 128;         // output tile of the tensor-core GEMM (wave quantisation)
  double gemm_tile_n = 256;
  double attention_seq_half = 512;  // sequence length at which attention reaches half its efficiency
};

struct NetworkCalibration {
  double nvlink_latency_s = 3e-6;      // per collective step inside an NVLink domain
  double scale_out_latency_s = 8e-6;   // per collective step across the scale-out fabric
};

struct MemoryCalibration {
  double runtime_reserved_bytes = 3e9;  // CUDA context, cuBLAS/NCCL workspaces, allocator slack
};

// data/calibration/power.yaml: the coefficients of the power model (cost/power.hpp).
struct PowerCalibration {
  double tensor_share = 1.0, hbm_share = 0.5;
  double dvfs_exponent = 1.3, min_clock_fraction = 0.2;
  double host_idle_w_per_gpu = 0, host_loaded_w_per_gpu = 0;
  double psu_capacity_per_node_max = 1;
  std::vector<std::pair<double, double>> psu_efficiency;  // (load fraction, efficiency), ascending
};

struct Calibration {
  std::map<std::string, DeviceCalibration> by_gpu;  // keyed by GPU id
  KernelCalibration kernels;
  NetworkCalibration network;
  MemoryCalibration memory;
  PowerCalibration power;

  const DeviceCalibration& device(const std::string& gpu_id) const;
};

// How a software stack runs a step, as far as it changes time or memory. Chosen from a run's
// configuration (see data/calibration/profiles.yaml), never from who published the run.
struct SoftwareProfile {
  std::string name;
  // A stack version: `base` is the profile it refines, `stack_versions` the releases it describes
  // (container versions, e.g. "26.06.01"); a run of such a release takes it instead of its base.
  std::string base;
  std::vector<std::string> stack_versions;
  const std::string& stack() const { return base.empty() ? name : base; }  // the stack, whatever its release
  AttentionKernel attention = AttentionKernel::Native;
  double tp_comm_overlap = 0.0;         // fraction of tensor-parallel communication hidden under GEMMs
  double ep_comm_overlap = 0.0;         // fraction of expert-parallel all-to-all hidden (overlapped schedules)
  double elementwise_passes = 1.0;      // HBM passes of element-wise work relative to fully fused
  double grad_reduce_bytes = 4.0;       // bytes per gradient element in the data-parallel reduction
  double dp_bucket_params = 40e6;       // gradient/parameter bucket size, elements
  double step_overhead_s = 0.0;         // fixed host-side cost per optimizer step
  double microbatch_overhead_s = 0.0;   // fixed host-side cost per micro-batch and stage
  // CPU time to issue one kernel (module code, framework dispatch, launch). It sets the pace only
  // where a device-to-host sync keeps the CPU from running ahead of the GPU (dropless MoE layers).
  double host_kernel_s = 0.0;
  double fp8_cast_passes = 1.0;         // HBM passes spent quantising GEMM inputs to FP8/FP4
  double weight_bytes_per_param = 2.0;  // resident low-precision weight copy
  double master_bytes_per_param = 4.0;  // FP32 master weights (sharded with the optimizer)
  double grad_bytes_per_param = 4.0;    // gradient accumulation buffer
  double optimizer_state_bytes_per_param = 8.0;  // Adam m and v
  double logits_bytes_per_element = 6.0;         // LM-head output kept for the loss (BF16 + FP32 softmax)
  // Selective-recompute settings the stack offers, cheapest first, each a RecomputeModule mask
  // (cumulative: each step adds modules to the previous one). Empty: only none or full.
  std::vector<unsigned> recompute_ladder;
};

}  // namespace ct
