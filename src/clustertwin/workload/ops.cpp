#include "clustertwin/workload/ops.hpp"

#include <algorithm>

#include "clustertwin/cost/collective.hpp"
#include "clustertwin/cost/compute.hpp"

namespace ct {

void Pass::add(Op op) {
  switch (op.kind) {
    case OpKind::TpComm: tp_comm_s += op.time_s; break;
    case OpKind::CpComm: cp_comm_s += op.time_s; break;
    case OpKind::EpComm: ep_comm_s += op.time_s; break;
    case OpKind::HostWait: host_wait_s += op.time_s; break;
    default: compute_s += op.time_s; break;
  }
  launches += op.launches;
  ops.push_back(std::move(op));
}

namespace {

constexpr double kActBytes = 2.0;  // BF16 activations
// Kernel launches of multi-kernel ops (Megatron-Core MoE router and token permutation, mamba_ssm
// chunked scan), counted from their implementations.
constexpr int kRouterKernels = 8, kPermuteKernels = 4, kScanKernels = 5;

// Shapes and per-GPU sizes of one micro-batch, shared by the pass builders.
struct Dims {
  double b, s, h, f, q, kv, t, cp, T, T_sp, hd, heads_local, vocab;
  explicit Dims(const CostContext& c) {
    const auto& m = c.model;
    const auto& l = c.layout;
    b = l.micro_batch;
    s = static_cast<double>(l.seq_len);
    h = static_cast<double>(m.hidden);
    f = static_cast<double>(m.ffn_hidden);
    q = static_cast<double>(m.q_dim());
    kv = static_cast<double>(m.kv_dim());
    t = l.tp;
    cp = l.cp;
    T = b * s / cp;                                  // tokens through the GEMMs
    T_sp = l.sequence_parallel ? T / t : T;          // tokens on the residual stream
    hd = static_cast<double>(m.head_dim);
    heads_local = static_cast<double>(m.heads) / t;
    vocab = static_cast<double>(m.vocab);
  }
};

class Builder {
 public:
  explicit Builder(const CostContext& c) : c_(c), d_(c) {
    const auto& gpu = c.system.gpu;
    const PeakFormat fmt = gemm_peak_format(c.layout.precision);
    hbm_ = gpu.hbm_bytes_per_s * c.device.hbm_fraction;
    low_ = make_gemm_device(fmt);
    bf16_ = make_gemm_device(PeakFormat::BF16);
    auto it = c.device.attention.find(c.profile.attention);
    const AttentionEfficiency eff = it != c.device.attention.end() ? it->second : AttentionEfficiency{};
    const double sustained = c.device.sustained_tensor_fraction;
    attn_ = {gpu.peak(PeakFormat::BF16), eff.fwd_fraction * sustained, eff.bwd_fraction * sustained,
             c.kernels.attention_seq_half, c.kernels.launch_overhead_s};
  }

  const Dims& dims() const { return d_; }

  // `launches`: a grouped GEMM (MoE experts) is one cuBLAS call per group, issued on several streams.
  Op gemm(std::string name, cost::GemmShape s, bool low_precision = true, double launches = 1) const {
    const bool lp = low_precision && is_low_precision(c_.layout.precision);
    const double opnd = lp ? gemm_operand_bytes(c_.layout.precision) : kActBytes;
    return {std::move(name), OpKind::Gemm, cost::gemm_time_s(s, lp ? low_ : bf16_, opnd, kActBytes), s.flops(), launches};
  }

  // dgrad and wgrad of a forward GEMM C[m,n] = A[m,k] B[k,n].
  // With frozen weights (LoRA) only the data gradient is computed; adapters are negligible.
  // In low precision the incoming gradient (m x n) is quantised first.
  void backward_gemms(Pass& p, const std::string& name, cost::GemmShape s, bool low_precision = true,
                      bool has_weights = true, double launches = 1) const {
    if (low_precision) cast(p, name + ".grad_cast", s.m * s.n * s.batch, launches);
    p.add(gemm(name + ".dgrad", {s.m, s.k, s.n, s.batch}, low_precision, launches));
    if (has_weights && !c_.layout.lora) p.add(gemm(name + ".wgrad", {s.k, s.n, s.m, s.batch}, low_precision, launches));
  }

  // `kernels`: launches the op takes in the stacks modelled (routing and token permutation are
  // many small kernels: softmax, top-k, auxiliary loss, histogram, sort, gather/scatter).
  Op elementwise(std::string name, double bytes, int kernels = 1) const {
    return {std::move(name), OpKind::Elementwise,
            cost::memory_bound_time_s(bytes * c_.profile.elementwise_passes, hbm_, kernels * c_.kernels.launch_overhead_s),
            0, static_cast<double>(kernels)};
  }

  // Quantising a GEMM operand of `elements` to FP8/FP4 (Transformer Engine cast-transpose): read
  // BF16, write a row-wise and a column-wise narrow copy (the backward GEMMs need the transpose).
  // `launches`: grouped operands (MoE experts) are quantised one group at a time.
  void cast(Pass& p, const std::string& name, double elements, double launches = 1) const {
    if (!is_low_precision(c_.layout.precision)) return;
    const Precision prec = c_.layout.precision;
    const double copy_bytes = gemm_operand_bytes(prec) + gemm_scale_bytes_per_element(prec);
    const double bytes = elements * (kActBytes + quantized_copies(prec, c_.system.gpu.fp8_gemm_any_layout) * copy_bytes) *
                         c_.profile.fp8_cast_passes;
    p.add({name, OpKind::Elementwise, cost::memory_bound_time_s(bytes, hbm_, c_.kernels.launch_overhead_s), 0, launches});
  }

  // The next attention op covers a sliding window (GPT-OSS) instead of the whole causal prefix.
  void set_sliding(bool sliding) const { sliding_ = sliding; }

  cost::AttentionShape attention_shape() const {
    cost::AttentionShape a;
    a.batch = d_.b;
    a.heads = d_.heads_local;
    a.q_len = d_.s / d_.cp;
    a.kv_len = d_.s;
    a.causal = true;
    const MlaSpec& mla = c_.model.mla;
    // MLA: QK^T over the 192-wide nope+rope head, PV over the 128-wide value head.
    a.head_dim = mla.enabled() ? 0.5 * static_cast<double>(mla.qk_nope_head_dim + mla.qk_rope_head_dim + mla.v_head_dim)
                               : d_.hd;
    const double window = static_cast<double>(c_.model.sliding_window);
    if (sliding_ && window > 0 && window < d_.s) {
      a.kv_len = window;  // each query sees a full band of `window` keys
      a.causal = false;
    }
    return a;
  }

  // Mamba-2 SSD (chunked scan): within each chunk of Q tokens an attention-like causal product
  // over the state and head dimensions, plus the chunk-state updates; Triton kernels at the
  // FlashAttention-2 efficiency.
  Op ssd_scan(bool backward) const {
    const MambaSpec& m = c_.model.mamba;
    cost::AttentionShape a;
    a.batch = d_.b * d_.s / d_.cp / static_cast<double>(m.chunk);
    a.heads = static_cast<double>(m.heads) / d_.t;
    a.q_len = a.kv_len = static_cast<double>(m.chunk);
    a.head_dim = 0.5 * static_cast<double>(m.state + m.head_dim);
    a.causal = true;
    const double state_flops = 4.0 * d_.T * a.heads * m.head_dim * m.state;
    auto it = c_.device.attention.find(AttentionKernel::FlashAttention2);
    const AttentionEfficiency eff = it != c_.device.attention.end() ? it->second : AttentionEfficiency{};
    cost::AttentionDevice dev = attn_;
    dev.fwd_fraction = eff.fwd_fraction * c_.device.sustained_tensor_fraction;
    dev.bwd_fraction = eff.bwd_fraction * c_.device.sustained_tensor_fraction;
    const double chunk_s = backward ? cost::attention_bwd_time_s(a, dev) : cost::attention_fwd_time_s(a, dev);
    const double ratio = backward ? cost::kAttentionBwdFlopRatio : 1.0;
    const double state_s = ratio * state_flops / (dev.peak_flops * (backward ? dev.bwd_fraction : dev.fwd_fraction));
    const double flops = ratio * (a.fwd_flops() + state_flops);
    // The scan is a chain of kernels (cumsum, chunk states, state passing, chunk scan) that each
    // stream x, B, C, y and the FP32 chunk states through HBM.
    const double inner = static_cast<double>(m.inner()) / d_.t, bc = 2.0 * m.groups * m.state;
    const double states = d_.T / m.chunk * a.heads * m.head_dim * m.state * 4.0;
    const double bytes = ratio * (d_.T * (3 * inner + 2 * bc) * kActBytes + 2 * states);
    const double memory_s = cost::memory_bound_time_s(bytes, hbm_, (backward ? 2 : 1) * kScanKernels * c_.kernels.launch_overhead_s);
    return {backward ? "ssd_scan.bwd" : "ssd_scan", OpKind::Attention, std::max(chunk_s + state_s, memory_s), flops,
            (backward ? 2.0 : 1.0) * kScanKernels};
  }

  // Expert-tensor-parallel all-gather (forward) or reduce-scatter of the routed tokens, `bytes`
  // in all after gathering, over the ETP group.
  Op etp_collective(const std::string& name, double bytes, bool gather) const {
    const int n = c_.layout.etp;
    const double time = n == 1 ? 0.0
                        : gather ? cost::all_gather_time_s(bytes, n, c_.topology.etp_link)
                                 : cost::reduce_scatter_time_s(bytes, n, c_.topology.etp_link);
    return {"etp_" + name + (gather ? ".all_gather" : ".reduce_scatter"), OpKind::EpComm, time, 0};
  }

  // Expert-parallel dispatch or combine of `tokens` tokens of `token_bytes` over the EP group.
  Op ep_all_to_all(const std::string& name, double tokens, double token_bytes) const {
    const MoeSpec& moe = c_.model.moe;
    const double time = moe_all_to_all_time_s(tokens, token_bytes, moe.num_experts, moe.top_k, c_.layout.ep_node_dedup,
                                              c_.topology.ep, c_.system, c_.device, c_.network);
    return {"ep_" + name + ".all_to_all", OpKind::EpComm, time, 0};
  }

  bool unfused() const { return c_.profile.attention == AttentionKernel::Unfused; }

  // Fused (flash) attention forward, or, unfused, the score GEMM, the materialised
  // mask+softmax+dropout and the value GEMM (no causal skipping).
  void attention_fwd(Pass& p, const std::string& prefix = "") const {
    const auto a = attention_shape();
    if (!unfused()) {
      p.add({prefix + "core_attention", OpKind::Attention, cost::attention_fwd_time_s(a, attention_device()), a.fwd_flops()});
      return;
    }
    const double bh = a.batch * a.heads, scores = bh * a.q_len * a.kv_len;
    p.add(gemm(prefix + "attn_scores", {a.q_len, a.kv_len, a.head_dim, bh}, false));
    p.add(elementwise(prefix + "mask_softmax_dropout", scores * (2 + 2 + 1 + 2)));
    p.add(gemm(prefix + "attn_values", {a.q_len, a.head_dim, a.kv_len, bh}, false));
  }

  void attention_bwd(Pass& p) const {
    const auto a = attention_shape();
    if (!unfused()) {
      p.add({"core_attention.bwd", OpKind::Attention, cost::attention_bwd_time_s(a, attention_device()),
             cost::kAttentionBwdFlopRatio * a.fwd_flops()});
      return;
    }
    const double bh = a.batch * a.heads, scores = bh * a.q_len * a.kv_len;
    // Both operands of the attention GEMMs are activations: two gradient GEMMs each.
    p.add(gemm("attn_values.bwd_probs", {a.q_len, a.kv_len, a.head_dim, bh}, false));
    p.add(gemm("attn_values.bwd_v", {a.kv_len, a.head_dim, a.q_len, bh}, false));
    p.add(elementwise("softmax_dropout.bwd", scores * (2 + 2 + 1 + 2)));
    p.add(gemm("attn_scores.bwd_q", {a.q_len, a.head_dim, a.kv_len, bh}, false));
    p.add(gemm("attn_scores.bwd_k", {a.kv_len, a.head_dim, a.q_len, bh}, false));
  }

  // Tensor-parallel collective on the residual stream, at Megatron's f/g points: with sequence
  // parallelism an all-gather where the TP region starts (`gather`) and a reduce-scatter where it
  // ends; without, nothing where it starts (the input is replicated) and an all-reduce where it
  // ends (Korthikanti et al. 2022, fig. 4-5): 2 all-reduces per layer and pass, or 2 + 2 halves.
  void tp_collective(Pass& p, const std::string& name, bool gather) const {
    const int n = c_.layout.tp;
    if (n <= 1 || (gather && !c_.layout.sequence_parallel)) return;
    const double bytes = d_.T * d_.h * kActBytes;
    if (!c_.layout.sequence_parallel) {
      p.add({name + ".all_reduce", OpKind::TpComm, cost::all_reduce_time_s(bytes, n, c_.topology.tp_all_reduce_link), 0});
      return;
    }
    const double time = gather ? cost::all_gather_time_s(bytes, n, c_.topology.tp_link)
                               : cost::reduce_scatter_time_s(bytes, n, c_.topology.tp_link);
    p.add({name + (gather ? ".all_gather" : ".reduce_scatter"), OpKind::TpComm, time, 0});
  }

  // Ring attention: each of the cp-1 steps passes a K/V block (and in backward its gradient).
  Op cp_exchange(bool backward) const {
    const double kv_block = 2.0 * d_.b * (d_.s / d_.cp) * d_.kv / d_.t * kActBytes;
    const double steps = d_.cp - 1;
    const double time = steps > 0 ? steps * cost::p2p_time_s((backward ? 2.0 : 1.0) * kv_block, c_.topology.cp_link) : 0;
    return {backward ? "cp_ring.kv_dkv_exchange" : "cp_ring.kv_exchange", OpKind::CpComm, time, 0};
  }

  // Hide what the stack can hide: TP comm under the pass's GEMMs, CP comm under attention.
  void settle_overlap(Pass& p) const {
    double gemm_s = 0, attention_s = 0;
    for (const Op& op : p.ops) {
      if (op.kind == OpKind::Gemm) gemm_s += op.time_s;
      if (op.kind == OpKind::Attention) attention_s += op.time_s;
    }
    const double hidden_tp = std::min(p.tp_comm_s * c_.profile.tp_comm_overlap, gemm_s);
    p.tp_exposed_s = p.tp_comm_s - hidden_tp;
    p.cp_exposed_s = std::max(0.0, p.cp_comm_s - attention_s);
    p.ep_exposed_s = p.ep_comm_s * (1.0 - c_.profile.ep_comm_overlap);
  }

 private:
  cost::GemmDevice make_gemm_device(PeakFormat fmt) const {
    const auto& gpu = c_.system.gpu;
    auto it = c_.device.gemm_fraction.find(fmt);
    const double frac = it != c_.device.gemm_fraction.end() ? it->second : c_.device.gemm_fraction.at(PeakFormat::BF16);
    return {gpu.peak(fmt), frac * c_.device.sustained_tensor_fraction, hbm_, gpu.sm_count, c_.kernels.gemm_tile_m,
            c_.kernels.gemm_tile_n, c_.kernels.launch_overhead_s};
  }
  cost::AttentionDevice attention_device() const {
    cost::AttentionDevice a = attn_;
    // Ring attention runs cp kernels over blocks of s/cp keys: the short-sequence fall-off
    // applies to the block, not the whole sequence.
    a.seq_half = attn_.seq_half * c_.layout.cp;
    return a;
  }

  const CostContext& c_;
  Dims d_;
  mutable bool sliding_ = false;
  double hbm_ = 0;
  cost::GemmDevice low_, bf16_;
  cost::AttentionDevice attn_;
};

}  // namespace

namespace {

// Appends `b` to `a` (a later block of the same pass).
void append(Pass& a, const Pass& b) {
  for (const Op& op : b.ops) a.ops.push_back(op);
  a.compute_s += b.compute_s;
  a.tp_comm_s += b.tp_comm_s, a.tp_exposed_s += b.tp_exposed_s;
  a.cp_comm_s += b.cp_comm_s, a.cp_exposed_s += b.cp_exposed_s;
  a.ep_comm_s += b.ep_comm_s, a.ep_exposed_s += b.ep_exposed_s;
  a.launches += b.launches, a.host_wait_s += b.host_wait_s;
}

// Whether selective recompute re-runs the forward op `name` (Megatron-Core recompute_modules).
bool rerun_by_modules(const std::string& name, const ParallelLayout& l) {
  auto is = [&](std::initializer_list<const char*> names) {
    return std::any_of(names.begin(), names.end(), [&](const char* n) { return name == n; });
  };
  if (l.recomputes(kRecomputeCoreAttn) && is({"core_attention", "attn_scores", "mask_softmax_dropout", "attn_values"}))
    return true;
  if (l.recomputes(kRecomputeLayerNorm) && is({"input_norm", "pre_mlp_norm"})) return true;
  if (l.recomputes(kRecomputeMlaUpProj) && is({"q_up_proj.cast", "q_up_proj", "kv_up_proj.cast", "kv_up_proj", "rope"}))
    return true;
  if (l.recomputes(kRecomputeMoeAct) && is({"experts_swiglu", "experts_relu2"})) return true;
  return l.recomputes(kRecomputeMlp) && name.rfind("mlp_", 0) == 0;  // the dense MLP block, TP collectives included
}

// Settles the passes' overlaps and builds the recompute pass: the whole forward again (full) or
// the forward ops of the selected modules.
void finish(const Builder& B, const CostContext& c, LayerPasses& L) {
  B.settle_overlap(L.fwd);
  B.settle_overlap(L.bwd);
  if (c.layout.recompute == Recompute::None) return;
  for (const Op& op : L.fwd.ops) {
    if (c.layout.recompute != Recompute::Full && !rerun_by_modules(op.name, c.layout)) continue;
    Op again = op;
    again.name = "recompute." + op.name;
    L.recompute.add(std::move(again));
  }
  B.settle_overlap(L.recompute);
}

// Self-attention (MHA/GQA, or MLA's low-rank projections) with its norm and TP collectives.
LayerPasses attention_block(const Builder& B, const CostContext& c, bool sliding) {
  const Dims& d = B.dims();
  const ModelSpec& m = c.model;
  const double norm_bytes = 2 * d.T_sp * d.h * kActBytes, residual_bytes = 3 * d.T_sp * d.h * kActBytes;
  LayerPasses L;
  B.set_sliding(sliding);
  std::vector<std::pair<std::string, cost::GemmShape>> in_proj;  // GEMMs before the attention core
  double q_width = d.q, v_width = d.q;
  if (m.mla.enabled()) {
    const MlaSpec& a = m.mla;
    const double heads = d.heads_local;
    q_width = heads * (a.qk_nope_head_dim + a.qk_rope_head_dim);
    v_width = heads * a.v_head_dim;
    if (a.q_lora_rank > 0) {
      in_proj.push_back({"q_down_proj", {d.T, static_cast<double>(a.q_lora_rank), d.h}});
      in_proj.push_back({"q_up_proj", {d.T, q_width, static_cast<double>(a.q_lora_rank)}});
    } else {
      in_proj.push_back({"q_proj", {d.T, q_width, d.h}});
    }
    in_proj.push_back({"kv_down_proj", {d.T, static_cast<double>(a.kv_lora_rank + a.qk_rope_head_dim), d.h}});
    in_proj.push_back({"kv_up_proj", {d.T, heads * (a.qk_nope_head_dim + a.v_head_dim), static_cast<double>(a.kv_lora_rank)}});
  } else {
    q_width = d.q / d.t, v_width = d.q / d.t;
    in_proj.push_back({"qkv_proj", {d.T, (d.q + 2 * d.kv) / d.t, d.h}});
  }
  const cost::GemmShape proj{d.T, d.h, v_width};
  const double rope_bytes = m.position == PositionKind::Rope ? 2 * d.T * (q_width + d.kv / d.t) * kActBytes : 0;

  Pass& fwd = L.fwd;
  fwd.add(B.elementwise("input_norm", norm_bytes));
  B.tp_collective(fwd, "attn_in", true);
  for (const auto& [name, shape] : in_proj) {
    B.cast(fwd, name + ".cast", shape.m * shape.k);
    fwd.add(B.gemm(name, shape));
  }
  if (rope_bytes > 0) fwd.add(B.elementwise("rope", rope_bytes));
  fwd.add(B.cp_exchange(false));
  B.attention_fwd(fwd);
  B.cast(fwd, "out_proj.cast", d.T * v_width);
  fwd.add(B.gemm("out_proj", proj));
  B.tp_collective(fwd, "attn_out", false);
  fwd.add(B.elementwise("residual_add", residual_bytes));

  Pass& bwd = L.bwd;
  bwd.add(B.elementwise("residual_add.bwd", residual_bytes));
  B.tp_collective(bwd, "attn_out.bwd", true);
  B.backward_gemms(bwd, "out_proj", proj);
  bwd.add(B.cp_exchange(true));
  B.attention_bwd(bwd);
  if (rope_bytes > 0) bwd.add(B.elementwise("rope.bwd", rope_bytes));
  for (auto it = in_proj.rbegin(); it != in_proj.rend(); ++it) B.backward_gemms(bwd, it->first, it->second);
  B.tp_collective(bwd, "attn_in.bwd", false);
  bwd.add(B.elementwise("input_norm.bwd", 2 * norm_bytes));
  finish(B, c, L);
  B.set_sliding(false);
  return L;
}

// Mamba-2 mixer: in-projection, causal conv, chunked state-space scan (SSD), gated norm,
// out-projection; heads split over TP.
LayerPasses mamba_block(const Builder& B, const CostContext& c) {
  const Dims& d = B.dims();
  const MambaSpec& mb = c.model.mamba;
  const double inner = static_cast<double>(mb.inner()) / d.t, heads = static_cast<double>(mb.heads) / d.t;
  const double bc = 2.0 * mb.groups * mb.state / std::max<double>(1.0, std::min<double>(d.t, mb.groups));
  const cost::GemmShape in_proj{d.T, 2 * inner + bc + heads, d.h}, out_proj{d.T, d.h, inner};
  const double norm_bytes = 2 * d.T_sp * d.h * kActBytes, residual_bytes = 3 * d.T_sp * d.h * kActBytes;
  const double conv_bytes = 2 * d.T * (inner + bc) * kActBytes, gate_norm_bytes = 3 * d.T * inner * kActBytes;
  LayerPasses L;
  Pass& fwd = L.fwd;
  fwd.add(B.elementwise("input_norm", norm_bytes));
  B.tp_collective(fwd, "mamba_in", true);
  B.cast(fwd, "in_proj.cast", d.T * d.h);
  fwd.add(B.gemm("mamba_in_proj", in_proj));
  fwd.add(B.elementwise("causal_conv1d", conv_bytes));
  fwd.add(B.ssd_scan(false));
  fwd.add(B.elementwise("gated_rmsnorm", gate_norm_bytes));
  B.cast(fwd, "out_proj.cast", d.T * inner);
  fwd.add(B.gemm("mamba_out_proj", out_proj));
  B.tp_collective(fwd, "mamba_out", false);
  fwd.add(B.elementwise("residual_add", residual_bytes));
  Pass& bwd = L.bwd;
  bwd.add(B.elementwise("residual_add.bwd", residual_bytes));
  B.tp_collective(bwd, "mamba_out.bwd", true);
  B.backward_gemms(bwd, "mamba_out_proj", out_proj);
  bwd.add(B.elementwise("gated_rmsnorm.bwd", 2 * gate_norm_bytes));
  bwd.add(B.ssd_scan(true));
  bwd.add(B.elementwise("causal_conv1d.bwd", 2 * conv_bytes));
  B.backward_gemms(bwd, "mamba_in_proj", in_proj);
  B.tp_collective(bwd, "mamba_in.bwd", false);
  bwd.add(B.elementwise("input_norm.bwd", 2 * norm_bytes));
  finish(B, c, L);
  return L;
}

// A dense MLP on `tokens` (GeLU, squared ReLU or SwiGLU), `prefix` naming its ops.
void mlp_ops(const Builder& B, Pass& fwd, Pass& bwd, const std::string& prefix, double tokens, double f_local,
             bool gated, const char* act) {
  const Dims& d = B.dims();
  const cost::GemmShape fc1{tokens, (gated ? 2 : 1) * f_local, d.h}, fc2{tokens, d.h, f_local};
  const double act_bytes = (gated ? 3.0 : 2.0) * tokens * f_local * kActBytes;
  B.cast(fwd, prefix + "fc1.cast", tokens * d.h);
  fwd.add(B.gemm(prefix + (gated ? "gate_up" : "fc1"), fc1));
  fwd.add(B.elementwise(prefix + act, act_bytes));
  B.cast(fwd, prefix + "fc2.cast", tokens * f_local);
  fwd.add(B.gemm(prefix + "down", fc2));
  // Backward in reverse order.
  B.backward_gemms(bwd, prefix + "down", fc2);
  bwd.add(B.elementwise(prefix + "activation.bwd", 2 * act_bytes));
  B.backward_gemms(bwd, prefix + (gated ? "gate_up" : "fc1"), fc1);
}

const char* activation_name(MlpKind k) {
  return k == MlpKind::SwiGlu ? "swiglu" : (k == MlpKind::Gelu ? "gelu" : "relu2");
}

LayerPasses dense_mlp_block(const Builder& B, const CostContext& c) {
  const Dims& d = B.dims();
  const double norm_bytes = 2 * d.T_sp * d.h * kActBytes, residual_bytes = 3 * d.T_sp * d.h * kActBytes;
  LayerPasses L;
  Pass mlp_bwd;
  L.fwd.add(B.elementwise("pre_mlp_norm", norm_bytes));
  B.tp_collective(L.fwd, "mlp_in", true);
  mlp_ops(B, L.fwd, mlp_bwd, "mlp_", d.T, d.f / d.t, c.model.gated_mlp(), activation_name(c.model.mlp));
  B.tp_collective(L.fwd, "mlp_out", false);
  L.fwd.add(B.elementwise("residual_add", residual_bytes));
  L.bwd.add(B.elementwise("residual_add.bwd", residual_bytes));
  B.tp_collective(L.bwd, "mlp_out.bwd", true);
  append(L.bwd, mlp_bwd);
  B.tp_collective(L.bwd, "mlp_in.bwd", false);
  L.bwd.add(B.elementwise("pre_mlp_norm.bwd", 2 * norm_bytes));
  finish(B, c, L);
  return L;
}

// Tokens the busiest expert GPU processes relative to balanced routing: the imbalance, capped by
// the expert capacity when over-capacity tokens are dropped.
double expert_load_factor(const ParallelLayout& l) {
  return l.moe_capacity_factor > 0 ? std::min(l.moe_imbalance, l.moe_capacity_factor) : l.moe_imbalance;
}

// Routed experts: router, token permutation, dispatch all-to-all over the EP group, grouped expert
// GEMMs (each GPU holds num_experts / ep experts, each split over etp GPUs: the routed tokens
// are all-gathered over the ETP group before them and reduce-scattered after), combine
// all-to-all; plus shared experts. Tokens enter sequence-parallel (T / tp per GPU).
LayerPasses moe_block(const Builder& B, const CostContext& c) {
  const Dims& d = B.dims();
  const MoeSpec& moe = c.model.moe;
  const double tokens = d.T_sp, k = moe.top_k, E = moe.num_experts, ep = c.layout.ep;
  const double local_experts = E / ep;
  // Routed token copies that land on this GPU (balanced routing times the imbalance factor).
  const double routed = tokens * k * expert_load_factor(c.layout);
  const double etp = c.layout.etp, f = static_cast<double>(moe.expert_ffn_hidden) / etp;  // f: this GPU's slice
  const double gathered = routed * etp;  // tokens through this GPU's expert GEMMs
  // Latent MoE (Nemotron-3 Super): tokens are projected to a narrower width before dispatch.
  const double width = moe.latent_size > 0 ? static_cast<double>(moe.latent_size) : d.h;
  const cost::GemmShape fc1{gathered / local_experts, (moe.gated ? 2 : 1) * f, width, local_experts},
      fc2{gathered / local_experts, width, f, local_experts}, to_latent{tokens, width, d.h}, from_latent{tokens, d.h, width};
  const double act_bytes = (moe.gated ? 3.0 : 2.0) * gathered * f * kActBytes;
  const double etp_bytes = gathered * width * kActBytes;
  const double norm_bytes = 2 * d.T_sp * d.h * kActBytes, residual_bytes = 3 * d.T_sp * d.h * kActBytes;
  const double permute_bytes = 2 * tokens * k * width * kActBytes;
  const double token_bytes = width * kActBytes;  // one routed copy, each direction
  LayerPasses L;
  Pass& fwd = L.fwd;
  Pass shared_bwd;
  fwd.add(B.elementwise("pre_mlp_norm", norm_bytes));
  fwd.add(B.gemm("router", {tokens, E, d.h}, false));
  fwd.add(B.elementwise("router_topk", tokens * E * 4 * 2, kRouterKernels));
  if (moe.latent_size > 0) fwd.add(B.gemm("to_latent", to_latent));
  fwd.add(B.elementwise("permute", permute_bytes, kPermuteKernels));
  fwd.add(B.ep_all_to_all("dispatch", tokens, token_bytes));
  if (etp > 1) fwd.add(B.etp_collective("experts_in", etp_bytes, true));
  B.cast(fwd, "experts_fc1.cast", gathered * width, local_experts);
  fwd.add(B.gemm(moe.gated ? "experts_gate_up" : "experts_fc1", fc1, true, local_experts));
  fwd.add(B.elementwise(moe.gated ? "experts_swiglu" : "experts_relu2", act_bytes));
  B.cast(fwd, "experts_fc2.cast", gathered * f, local_experts);
  fwd.add(B.gemm("experts_down", fc2, true, local_experts));
  if (etp > 1) fwd.add(B.etp_collective("experts_out", etp_bytes, false));
  fwd.add(B.ep_all_to_all("combine", tokens, token_bytes));
  fwd.add(B.elementwise("unpermute", permute_bytes, kPermuteKernels));
  if (moe.latent_size > 0) fwd.add(B.gemm("from_latent", from_latent));
  if (moe.shared_ffn_hidden > 0)
    mlp_ops(B, fwd, shared_bwd, "shared_expert_", tokens, static_cast<double>(moe.shared_ffn_hidden), moe.gated,
            moe.gated ? "swiglu" : "relu2");
  fwd.add(B.elementwise("residual_add", residual_bytes));

  Pass& bwd = L.bwd;
  bwd.add(B.elementwise("residual_add.bwd", residual_bytes));
  append(bwd, shared_bwd);
  if (moe.latent_size > 0) B.backward_gemms(bwd, "from_latent", from_latent);
  bwd.add(B.elementwise("unpermute.bwd", permute_bytes, kPermuteKernels));
  bwd.add(B.ep_all_to_all("combine.bwd", tokens, token_bytes));
  if (etp > 1) bwd.add(B.etp_collective("experts_out.bwd", etp_bytes, true));
  B.backward_gemms(bwd, "experts_down", fc2, true, true, local_experts);
  bwd.add(B.elementwise("experts_activation.bwd", 2 * act_bytes));
  B.backward_gemms(bwd, moe.gated ? "experts_gate_up" : "experts_fc1", fc1, true, true, local_experts);
  if (etp > 1) bwd.add(B.etp_collective("experts_in.bwd", etp_bytes, false));
  bwd.add(B.ep_all_to_all("dispatch.bwd", tokens, token_bytes));
  bwd.add(B.elementwise("permute.bwd", permute_bytes, kPermuteKernels));
  if (moe.latent_size > 0) B.backward_gemms(bwd, "to_latent", to_latent);
  bwd.add(B.elementwise("router_topk.bwd", tokens * E * 4 * 2, kRouterKernels));
  B.backward_gemms(bwd, "router", {tokens, E, d.h}, false);
  bwd.add(B.elementwise("pre_mlp_norm.bwd", 2 * norm_bytes));
  finish(B, c, L);
  return L;
}

}  // namespace

// A pass cannot end before the host has issued its kernels. Only where the host cannot run
// ahead of the GPU does this bind: the GPU then idles for the difference.
void pace_by_host(Pass& p, double host_kernel_s) {
  const double wait = p.launches * host_kernel_s - p.total_s();
  if (wait > 0) p.add({"host_bound", OpKind::HostWait, wait, 0, 0});
}

LayerPasses layer_passes(const CostContext& c, const LayerSpec& spec) {
  const Builder B(c);
  LayerPasses mixer, ffn;
  if (spec.mixer == MixerKind::Attention) mixer = attention_block(B, c, spec.sliding_window);
  if (spec.mixer == MixerKind::Mamba) mixer = mamba_block(B, c);
  if (spec.ffn == FfnKind::Dense) ffn = dense_mlp_block(B, c);
  if (spec.ffn == FfnKind::Moe) ffn = moe_block(B, c);
  // Forward runs mixer then feed-forward; backward the reverse.
  LayerPasses L = mixer;
  append(L.fwd, ffn.fwd);
  L.bwd = ffn.bwd;
  append(L.bwd, mixer.bwd);
  append(L.recompute, ffn.recompute);
  // Dropless MoE: the grouped GEMMs' split sizes (tokens per expert) are copied to the host in
  // every layer's forward, so the host is never more than a layer ahead of the GPU and each
  // pass takes at least the time the host needs to issue it.
  if (spec.ffn == FfnKind::Moe && c.layout.moe_capacity_factor <= 0)
    for (Pass* p : {&L.fwd, &L.bwd, &L.recompute}) pace_by_host(*p, c.profile.host_kernel_s);
  return L;
}

LayerPasses transformer_layer_passes(const CostContext& c) { return layer_passes(c, LayerSpec{}); }

LayerPasses embedding_passes(const CostContext& c) {
  const Builder B(c);
  const Dims& d = B.dims();
  LayerPasses L;
  L.fwd.add(B.elementwise("embedding_lookup", 2 * d.T * d.h * kActBytes));
  // Vocabulary-parallel embedding: partial lookups are summed (scattered with SP) across TP.
  B.tp_collective(L.fwd, "embedding", false);
  B.settle_overlap(L.fwd);
  L.bwd.add(B.elementwise("embedding.bwd", 3 * d.T * d.h * kActBytes));
  B.tp_collective(L.bwd, "embedding.bwd", true);
  B.settle_overlap(L.bwd);
  return L;
}

LayerPasses lm_head_passes(const CostContext& c) {
  const Builder B(c);
  const Dims& d = B.dims();
  const double v_local = d.vocab / d.t;
  const cost::GemmShape head{d.T, v_local, d.h};
  const double logits = d.T * v_local;
  LayerPasses L;
  L.fwd.add(B.elementwise("final_norm", 2 * d.T_sp * d.h * kActBytes));
  B.tp_collective(L.fwd, "lm_head_in", true);
  L.fwd.add(B.gemm("lm_head", head, /*low_precision=*/false));  // the output layer stays in BF16
  // Cross-entropy: BF16 logits read, FP32 softmax written and read back.
  L.fwd.add(B.elementwise("cross_entropy", logits * (kActBytes + 4 + 4)));
  L.bwd.add(B.elementwise("cross_entropy.bwd", logits * (4 + kActBytes)));
  B.backward_gemms(L.bwd, "lm_head", head, false);
  B.tp_collective(L.bwd, "lm_head_in.bwd", false);
  L.bwd.add(B.elementwise("final_norm.bwd", 4 * d.T_sp * d.h * kActBytes));
  finish(B, c, L);
  return L;
}

}  // namespace ct
