#pragma once
// Time of compute kernels on one GPU: pure functions of the shape, the device peaks and the
// achievable fractions. Roofline (compute vs HBM) with tensor-core wave quantisation and a fixed
// launch cost, the standard analytical kernel model (e.g. Calculon, Isaev et al. SC'23).
#include <cstdint>

namespace ct::cost {

struct GemmShape {
  double m = 0, n = 0, k = 0;  // C[m,n] = A[m,k] * B[k,n]
  double batch = 1;            // independent GEMMs of this shape run as one grouped kernel
  double flops() const { return 2.0 * m * n * k * batch; }
};

struct GemmDevice {
  double peak_flops = 0;           // dense peak of the operand format
  double achievable_fraction = 1;  // best-shape fraction of that peak
  double hbm_bytes_per_s = 0;      // achievable HBM bandwidth
  int sm_count = 1;
  double tile_m = 128, tile_n = 256;
  double launch_overhead_s = 0;
};

// Fraction of the GPU's SMs that do useful work, averaged over the waves of output tiles.
double wave_efficiency(const GemmShape& s, int sm_count, double tile_m, double tile_n);

// The two roofline times of a kernel: its work at the achievable compute rate and its bytes at
// the achievable bandwidth. The kernel takes the longer (plus its launch); the power model
// (cost/power.hpp) draws on both.
struct Roofline {
  double compute_s = 0, memory_s = 0;
};
Roofline gemm_roofline(const GemmShape& s, const GemmDevice& d, double operand_bytes, double output_bytes);

// Seconds for one GEMM whose operands are `operand_bytes` wide and output `output_bytes` wide.
double gemm_time_s(const GemmShape& s, const GemmDevice& d, double operand_bytes, double output_bytes);

struct AttentionShape {
  double batch = 1;
  double heads = 1;     // query heads on this GPU
  double q_len = 0;     // query tokens on this GPU
  double kv_len = 0;    // key/value tokens each query attends over (before the causal mask)
  double head_dim = 128;
  bool causal = true;
  // Forward FLOPs actually executed: QK^T and PV, halved by a causal mask over a square block.
  double fwd_flops() const { return 4.0 * batch * heads * q_len * kv_len * head_dim * (causal ? 0.5 : 1.0); }
};

struct AttentionDevice {
  double peak_flops = 0;        // BF16 dense peak (attention runs in BF16)
  double fwd_fraction = 0.5;    // achievable at long sequence
  double bwd_fraction = 0.4;
  double seq_half = 512;        // efficiency halves at this key length (short-sequence fall-off)
  double launch_overhead_s = 0;
};

// Flash-attention style fused kernel: the forward, and the backward (2.5x the forward FLOPs:
// dQ, dK, dV and the recomputed QK^T).
double attention_fwd_time_s(const AttentionShape& s, const AttentionDevice& d);
double attention_bwd_time_s(const AttentionShape& s, const AttentionDevice& d);
inline constexpr double kAttentionBwdFlopRatio = 2.5;

// A bandwidth-bound kernel that moves `bytes` through HBM.
double memory_bound_time_s(double bytes, double hbm_bytes_per_s, double launch_overhead_s);

}  // namespace ct::cost
