#include "clustertwin/serve/iteration_cost.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "clustertwin/core/error.hpp"
#include "clustertwin/model/params.hpp"
#include "clustertwin/serve/kv_cache.hpp"
#include "clustertwin/serve/links.hpp"

namespace ct::serve {

namespace {

// Attention FLOPs per query-key pair and head dimension: QK^T and PV, a multiply-add each.
constexpr double kAttentionFlopsPerPairDim = 4.0;
// The engines keep the Mamba recurrent and convolution states in the model's dtype (vLLM
// --mamba-ssm-cache-dtype auto).
constexpr double kMambaStateBytes = 2.0;

double gemm_fraction_for(const DeviceCalibration& dev, PeakFormat f, const ServingKernels& kernels) {
  if (f == PeakFormat::FP4 && kernels.nvfp4_gemm_fraction > 0) return kernels.nvfp4_gemm_fraction;
  return dev.gemm_fraction_of(f);
}

}  // namespace

// How the engines cut a replica's layer: experts sharded over TP like an MLP (vLLM FusedMoE,
// TensorRT-LLM moe_tp_size = tp by default), no expert parallelism; attention DP splits the
// residual stream and keeps the mixer whole on each rank.
LayerParallelism engine_parallelism(const ReplicaSpec& r) {
  LayerParallelism p;
  p.tp = r.tp;
  p.sequence_parallel = p.mixer_data_parallel = r.attention_dp;
  p.experts_in_tp_region = true;
  return p;
}

IterationCostModel::IterationCostModel(const ReplicaSpec& replica, const Calibration& cal, const EngineLimits& limits)
    : r_(replica), parallel_(engine_parallelism(replica)) {
  const GpuSpec& gpu = r_.system.gpu;
  const DeviceCalibration& dev = cal.device(gpu.id);
  const PeakFormat fmt = gemm_peak_format(r_.weights);
  if (gpu.peak(fmt) <= 0)
    throw InputError("replica", "precision",
                     fmt::format("{} has no tensor-core peak for {} weights", gpu.name, to_string(r_.weights)));
  hbm_bytes_per_s_ = gpu.hbm_bytes_per_s * dev.hbm_fraction;
  launch_s_ = limits.kernels.graph_kernel_gap_s;
  operand_bytes_ = weight_bytes_per_param(r_.weights);
  gemm_ = {gpu.peak(fmt), gemm_fraction_for(dev, fmt, limits.kernels), hbm_bytes_per_s_,
           gpu.sm_count, cal.kernels.gemm_tile_m, cal.kernels.gemm_tile_n, launch_s_};
  bf16_gemm_ = gemm_;
  bf16_gemm_.peak_flops = gpu.peak(PeakFormat::BF16);
  bf16_gemm_.achievable_fraction = gemm_fraction_for(dev, PeakFormat::BF16, limits.kernels);
  const AttentionEfficiency& att = dev.attention.at(AttentionKernel::Native);
  attention_ = {gpu.peak(PeakFormat::BF16), att.fwd_fraction, att.bwd_fraction, cal.kernels.attention_seq_half,
                launch_s_};
  ssd_ = attention_;
  if (auto it = dev.attention.find(AttentionKernel::FlashAttention2); it != dev.attention.end())
    ssd_.fwd_fraction = it->second.fwd_fraction, ssd_.bwd_fraction = it->second.bwd_fraction;
  if (r_.tp > 1) tp_link_ = tp_all_reduce_link(r_, dev, cal.network, limits.pcie);
  if (r_.pp > 1) pp_link_ = pp_hand_off_link(r_, dev, cal.network, limits.pcie);
  overhead_s_ = limits.iteration_overhead_s;
  power_ = cost::gpu_power_model(gpu, cal.power, r_.power_limit_w);

  const ModelSpec& m = r_.model;
  std::map<LayerSpec, double> counts;
  for (std::int64_t i = 0; i < m.layers; ++i) counts[m.layer(i)] += 1;
  const auto& fused = limits.kernels.fused_ops;
  auto fused_by_engine = [&](const LayerOp& op) { return std::find(fused.begin(), fused.end(), op.name) != fused.end(); };
  for (const auto& [spec, n] : counts) {
    LayerDescription d = describe_layer(m, spec, parallel_);
    for (auto* part : {&d.mixer, &d.ffn}) std::erase_if(*part, fused_by_engine);
    groups_.push_back({n, std::move(d)});
  }
  const std::int64_t kv_layers = std::max<std::int64_t>(1, kv_cache_layers(m));
  ReplicaSpec one_stage = r_;
  one_stage.pp = 1;
  kv_bytes_per_token_per_layer_ = replica_kv_bytes_per_token_per_gpu(one_stage) / static_cast<double>(kv_layers);
  attention_heads_ = attention_heads_per_gpu(m, parallel_);
  // Prefill runs MLA as ordinary attention; decode absorbs the up-projections into the latent.
  prefill_head_dim_ = attention_head_dim(m);
  decode_head_dim_ = absorbed_attention_head_dim(m);
}

// `share`: the part of the batch this GPU attends (1/tp of the sequences under attention DP).
IterationBatch IterationCostModel::empty_batch() const {
  IterationBatch b;
  b.window = static_cast<double>(r_.model.sliding_window);
  return b;
}

// `sliding`: a sliding-window layer. `share`: the part of the batch this GPU attends (1/tp of the
// sequences under attention DP).
double IterationCostModel::attention_time_s(bool sliding, const IterationBatch& b, double share,
                                            cost::Roofline& activity) const {
  const bool windowed = sliding && b.window > 0;
  const double pairs = windowed ? b.prefill_window_pairs : b.prefill_attention_pairs;
  const double context = windowed ? b.decode_window_tokens : b.decode_context_tokens;
  const double heads = attention_heads_ * share;
  double time_s = 0;
  if (b.prefill_tokens > 0) {
    const cost::AttentionShape s{1, heads, b.prefill_tokens, pairs / b.prefill_tokens, prefill_head_dim_, false};
    const double prefill_s = cost::attention_fwd_time_s(s, attention_);
    time_s += prefill_s;
    activity.compute_s += std::max(0.0, prefill_s - launch_s_);
  }
  if (b.decode_sequences > 0) {
    // Decode attention reads every cached token once: memory-bound unless the heads are many and
    // wide (MLA), where the FLOPs take over.
    const double read_s = context * kv_bytes_per_token_per_layer_ / hbm_bytes_per_s_;
    const double flops = kAttentionFlopsPerPairDim * heads * context * decode_head_dim_;
    const double compute_s = flops / (attention_.peak_flops * attention_.fwd_fraction);
    time_s += std::max(read_s, compute_s) + launch_s_;
    activity.memory_s += read_s;
    activity.compute_s += compute_s;
  }
  return time_s;
}

// The Mamba-2 mixer's own work: the chunked scan over the prompt chunks, and for each decoding
// sequence one recurrent step that reads and writes its SSM and convolution states.
double IterationCostModel::mamba_time_s(const IterationBatch& b, double share, cost::Roofline& activity) const {
  const MambaSpec& mb = r_.model.mamba;
  const double t = parallel_.mixer_data_parallel ? 1 : parallel_.tp;
  double time_s = 0;
  if (b.prefill_tokens > 0) {
    const double scan_s = ssd_time_s(ssd_work(mb, b.prefill_tokens * share, t), ssd_, hbm_bytes_per_s_, false);
    time_s += scan_s;
    activity.compute_s += scan_s;
  }
  if (b.decode_sequences > 0) {
    const double ssm = static_cast<double>(mb.heads * mb.head_dim * mb.state);
    const double conv = static_cast<double>((mb.conv_kernel - 1) * (mb.inner() + 2 * mb.groups * mb.state));
    const double bytes = 2 * b.decode_sequences * share * (ssm + conv) / t * kMambaStateBytes;
    time_s += cost::memory_bound_time_s(bytes, hbm_bytes_per_s_, launch_s_);
    activity.memory_s += bytes / hbm_bytes_per_s_;
  }
  return time_s;
}

double IterationCostModel::tp_collective_s(const LayerOp& op, double bytes) const {
  switch (tp_boundary_collective(op.kind == LayerOpKind::TpEnter, parallel_.sequence_parallel)) {
    case TpCollective::None: return 0.0;
    case TpCollective::AllGather: return cost::all_gather_time_s(bytes, r_.tp, tp_link_);
    case TpCollective::ReduceScatter: return cost::reduce_scatter_time_s(bytes, r_.tp, tp_link_);
    case TpCollective::AllReduce: return cost::all_reduce_time_s(bytes, r_.tp, tp_link_);
  }
  return 0.0;
}

void IterationCostModel::add_layer_group(const LayerGroup& g, const IterationBatch& b, const BatchRows& rows,
                                         IterationBreakdown& out) const {
  const double share = rows.mixer / rows.tokens;
  IterationBreakdown layer;
  for (const std::vector<LayerOp>* part : {&g.ops.mixer, &g.ops.ffn})
    for (const LayerOp& op : *part) {
      const double n = rows.of(op.rows);
      switch (op.kind) {
        case LayerOpKind::Gemm: {
          const cost::GemmShape shape = rows.gemm(op);
          if (shape.m <= 0 || shape.n <= 0 || shape.k <= 0) break;
          const cost::Roofline r = cost::gemm_roofline(shape, op.low_precision ? gemm_ : bf16_gemm_,
                                                       op.low_precision ? operand_bytes_ : kActivationBytes,
                                                       kActivationBytes);
          layer.gemm_s += std::max(r.compute_s, r.memory_s) + launch_s_;
          layer.activity.compute_s += r.compute_s;
          layer.activity.memory_s += r.memory_s;
          break;
        }
        // The engines fuse the activation quantisation into the norm or activation kernel before
        // the GEMM (vLLM RMSNormQuantFusionPass and silu_and_mul + scaled_fp8_quant, PR #10867;
        // TensorRT-LLM add + norm + FP8 quant, PR #12674).
        case LayerOpKind::Cast: break;
        case LayerOpKind::Elementwise:
          layer.elementwise_s += cost::memory_bound_time_s(n * op.per_row, hbm_bytes_per_s_, op.kernels * launch_s_);
          layer.activity.memory_s += n * op.per_row / hbm_bytes_per_s_;
          break;
        case LayerOpKind::Attention: layer.attention_s += attention_time_s(op.sliding, b, share, layer.activity); break;
        case LayerOpKind::SsdScan: layer.attention_s += mamba_time_s(b, share, layer.activity); break;
        case LayerOpKind::TpEnter:
        case LayerOpKind::TpExit: layer.comm_s += tp_collective_s(op, n * op.per_row); break;
        // No expert or context parallelism in a replica (engine_parallelism).
        case LayerOpKind::EpDispatch:
        case LayerOpKind::EpCombine:
        case LayerOpKind::EtpGather:
        case LayerOpKind::EtpScatter:
        case LayerOpKind::CpExchange: break;
      }
    }
  out.gemm_s += g.count * layer.gemm_s;
  out.attention_s += g.count * layer.attention_s;
  out.elementwise_s += g.count * layer.elementwise_s;
  out.comm_s += g.count * layer.comm_s;
  out.activity.compute_s += g.count * layer.activity.compute_s;
  out.activity.memory_s += g.count * layer.activity.memory_s;
}

IterationBreakdown IterationCostModel::breakdown(const IterationBatch& b) const {
  IterationBreakdown out;
  if (b.tokens() <= 0) return out;
  const BatchRows rows = batch_rows(r_.model, parallel_, b.tokens(), 1.0);
  for (const LayerGroup& g : groups_) add_layer_group(g, b, rows, out);
  const double hidden = static_cast<double>(r_.model.hidden);
  if (b.sampled_sequences > 0) {
    const cost::GemmShape s{b.sampled_sequences, static_cast<double>(r_.model.vocab) / r_.tp, hidden, 1};
    const cost::Roofline r = cost::gemm_roofline(s, bf16_gemm_, kActivationBytes, kActivationBytes);
    out.lm_head_s = std::max(r.compute_s, r.memory_s) + launch_s_;
    out.activity.compute_s += r.compute_s;
    out.activity.memory_s += r.memory_s;
  }
  if (r_.pp > 1) out.comm_s += (r_.pp - 1) * cost::p2p_time_s(b.tokens() * hidden * kActivationBytes, pp_link_);
  out.overhead_s = overhead_s_;
  return out;
}

IterationRun IterationCostModel::run(const IterationBatch& b) const {
  const IterationBreakdown bd = breakdown(b);
  const double span_s = bd.total_s();
  if (span_s <= 0) return {0.0, power_.idle_w, 0.0};
  const cost::GpuOperatingPoint p =
      cost::gpu_operating_point(power_, {span_s, bd.activity.compute_s, bd.activity.memory_s});
  return {p.span_s, p.power_w, p.load};
}

}  // namespace ct::serve
