#include "clustertwin/cost/compute.hpp"

#include <algorithm>
#include <cmath>

namespace ct::cost {

namespace {

// The smallest power-of-two tile edge from 64 that covers `extent`, at most `largest`.
double tile_for(double extent, double largest) {
  double tile = 64;
  while (tile < extent && tile < largest) tile *= 2;
  return std::min(tile, largest);
}

}  // namespace

double wave_efficiency(const GemmShape& s, int sm_count, double tile_m, double tile_n) {
  if (s.m <= 0 || s.n <= 0 || sm_count <= 0) return 1.0;
  // Small outputs get smaller tiles (down to the 64-row tensor-core instruction), and when the
  // tiles cannot fill the GPU the K dimension is split across SMs (split-K), as cuBLAS does.
  const double tm = tile_for(s.m, tile_m), tn = tile_for(s.n, tile_n);
  double tiles = std::ceil(s.m / tm) * std::ceil(s.n / tn) * s.batch;
  if (tiles < sm_count) tiles *= std::min(std::ceil(sm_count / tiles), std::max(1.0, std::floor(s.k / 256)));
  const double waves = std::ceil(tiles / sm_count);
  // Partially filled edge tiles waste tensor-core work too.
  const double fill = (s.m / (std::ceil(s.m / tm) * tm)) * (s.n / (std::ceil(s.n / tn) * tn));
  return tiles / (waves * sm_count) * fill;
}

Roofline gemm_roofline(const GemmShape& s, const GemmDevice& d, double operand_bytes, double output_bytes) {
  if (s.m <= 0 || s.n <= 0 || s.k <= 0) return {};
  const double eff = d.achievable_fraction * wave_efficiency(s, d.sm_count, d.tile_m, d.tile_n);
  const double bytes = s.batch * ((s.m * s.k + s.k * s.n) * operand_bytes + s.m * s.n * output_bytes);
  return {s.flops() / (d.peak_flops * eff), bytes / d.hbm_bytes_per_s};
}

double gemm_time_s(const GemmShape& s, const GemmDevice& d, double operand_bytes, double output_bytes) {
  if (s.m <= 0 || s.n <= 0 || s.k <= 0) return 0.0;
  const Roofline r = gemm_roofline(s, d, operand_bytes, output_bytes);
  return std::max(r.compute_s, r.memory_s) + d.launch_overhead_s;
}

static double attention_time(double flops, double fraction, const AttentionShape& s, const AttentionDevice& d) {
  if (flops <= 0) return 0.0;
  // Short keys leave the kernel's pipeline half empty: efficiency ~ L / (L + L_half).
  const double seq_eff = s.kv_len / (s.kv_len + d.seq_half);
  return flops / (d.peak_flops * fraction * seq_eff) + d.launch_overhead_s;
}

double attention_fwd_time_s(const AttentionShape& s, const AttentionDevice& d) {
  return attention_time(s.fwd_flops(), d.fwd_fraction, s, d);
}

double attention_bwd_time_s(const AttentionShape& s, const AttentionDevice& d) {
  return attention_time(kAttentionBwdFlopRatio * s.fwd_flops(), d.bwd_fraction, s, d);
}

double memory_bound_time_s(double bytes, double hbm_bytes_per_s, double launch_overhead_s) {
  if (bytes <= 0) return 0.0;
  return bytes / hbm_bytes_per_s + launch_overhead_s;
}

}  // namespace ct::cost
