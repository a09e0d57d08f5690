#include "clustertwin/workload/ops.hpp"

#include <algorithm>

#include "clustertwin/cost/collective.hpp"
#include "clustertwin/cost/compute.hpp"

namespace ct {

void Pass::add(Op op) {
  switch (op.kind) {
    case OpKind::TpComm: tp_comm_s += op.time_s; break;
    case OpKind::CpComm: cp_comm_s += op.time_s; break;
    default: compute_s += op.time_s; break;
  }
  ops.push_back(std::move(op));
}

namespace {

constexpr double kActBytes = 2.0;  // BF16 activations

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

  Op gemm(std::string name, cost::GemmShape s, bool low_precision = true) const {
    const bool lp = low_precision && is_low_precision(c_.layout.precision);
    const double opnd = lp ? gemm_operand_bytes(c_.layout.precision) : kActBytes;
    return {std::move(name), OpKind::Gemm, cost::gemm_time_s(s, lp ? low_ : bf16_, opnd, kActBytes), s.flops()};
  }

  // dgrad and wgrad of a forward GEMM C[m,n] = A[m,k] B[k,n].
  // With frozen weights (LoRA) only the data gradient is computed; adapters are negligible.
  // In low precision the incoming gradient (m x n) is quantised first.
  void backward_gemms(Pass& p, const std::string& name, cost::GemmShape s, bool low_precision = true,
                      bool has_weights = true) const {
    if (low_precision) cast(p, name + ".grad_cast", s.m * s.n * s.batch);
    p.add(gemm(name + ".dgrad", {s.m, s.k, s.n, s.batch}, low_precision));
    if (has_weights && !c_.layout.lora) p.add(gemm(name + ".wgrad", {s.k, s.n, s.m, s.batch}, low_precision));
  }

  Op elementwise(std::string name, double bytes) const {
    return {std::move(name), OpKind::Elementwise,
            cost::memory_bound_time_s(bytes * c_.profile.elementwise_passes, hbm_, c_.kernels.launch_overhead_s), 0};
  }

  // Quantising a GEMM operand of `elements` to FP8/FP4 (Transformer Engine cast-transpose): read
  // BF16, write a row-wise and a column-wise narrow copy (the backward GEMMs need the transpose).
  void cast(Pass& p, const std::string& name, double elements) const {
    if (!is_low_precision(c_.layout.precision)) return;
    const double bytes =
        elements * (kActBytes + 2 * gemm_operand_bytes(c_.layout.precision)) * c_.profile.fp8_cast_passes;
    p.add({name, OpKind::Elementwise, cost::memory_bound_time_s(bytes, hbm_, c_.kernels.launch_overhead_s), 0});
  }

  cost::AttentionShape attention_shape() const {
    cost::AttentionShape a;
    a.batch = d_.b;
    a.heads = d_.heads_local;
    a.q_len = d_.s / d_.cp;
    a.kv_len = d_.s;
    a.head_dim = d_.hd;
    a.causal = true;
    return a;
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

  // Tensor-parallel collective on the residual stream: all-gather / reduce-scatter with sequence
  // parallelism, all-reduce without.
  Op tp_collective(std::string name, bool gather) const {
    const double bytes = d_.T * d_.h * kActBytes;
    const int n = c_.layout.tp;
    double time = 0;
    if (n > 1) {
      if (c_.layout.sequence_parallel)
        time = gather ? cost::all_gather_time_s(bytes, n, c_.topology.tp_link)
                      : cost::reduce_scatter_time_s(bytes, n, c_.topology.tp_link);
      else
        time = cost::all_reduce_time_s(bytes, n, c_.topology.tp_all_reduce_link);
    }
    const char* kind = c_.layout.sequence_parallel ? (gather ? ".all_gather" : ".reduce_scatter") : ".all_reduce";
    return {name + kind, OpKind::TpComm, time, 0};
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
  double hbm_ = 0;
  cost::GemmDevice low_, bf16_;
  cost::AttentionDevice attn_;
};

}  // namespace

LayerPasses transformer_layer_passes(const CostContext& c) {
  const Builder B(c);
  const Dims& d = B.dims();
  const bool gated = c.model.gated_mlp();
  const double f_local = d.f / d.t;
  const double up_n = (gated ? 2 : 1) * f_local;
  const cost::GemmShape qkv{d.T, (d.q + 2 * d.kv) / d.t, d.h}, proj{d.T, d.h, d.q / d.t}, fc1{d.T, up_n, d.h},
      fc2{d.T, d.h, f_local};
  const double norm_bytes = 2 * d.T_sp * d.h * kActBytes;
  const double residual_bytes = 3 * d.T_sp * d.h * kActBytes;
  const double act_bytes = (gated ? 3.0 : 2.0) * d.T * f_local * kActBytes;
  const double rope_bytes = c.model.position == PositionKind::Rope ? 2 * d.T * (d.q + d.kv) / d.t * kActBytes : 0;

  LayerPasses L;
  Pass& fwd = L.fwd;
  fwd.add(B.elementwise("input_norm", norm_bytes));
  fwd.add(B.tp_collective("attn_in", true));
  B.cast(fwd, "qkv.cast", d.T * d.h);
  fwd.add(B.gemm("qkv_proj", qkv));
  if (rope_bytes > 0) fwd.add(B.elementwise("rope", rope_bytes));
  fwd.add(B.cp_exchange(false));
  B.attention_fwd(fwd);
  B.cast(fwd, "out_proj.cast", d.T * d.q / d.t);
  fwd.add(B.gemm("out_proj", proj));
  fwd.add(B.tp_collective("attn_out", false));
  fwd.add(B.elementwise("residual_add+post_attn_norm", residual_bytes + norm_bytes));
  fwd.add(B.tp_collective("mlp_in", true));
  B.cast(fwd, "fc1.cast", d.T * d.h);
  fwd.add(B.gemm(gated ? "mlp_gate_up" : "mlp_fc1", fc1));
  fwd.add(B.elementwise(gated ? "swiglu" : (c.model.mlp == MlpKind::Gelu ? "gelu" : "relu2"), act_bytes));
  B.cast(fwd, "fc2.cast", d.T * f_local);
  fwd.add(B.gemm("mlp_down", fc2));
  fwd.add(B.tp_collective("mlp_out", false));
  fwd.add(B.elementwise("residual_add", residual_bytes));
  B.settle_overlap(fwd);

  Pass& bwd = L.bwd;
  bwd.add(B.elementwise("residual_add.bwd", residual_bytes));
  bwd.add(B.tp_collective("mlp_out.bwd", true));
  B.backward_gemms(bwd, "mlp_down", fc2);
  bwd.add(B.elementwise("activation.bwd", 2 * act_bytes));
  B.backward_gemms(bwd, gated ? "mlp_gate_up" : "mlp_fc1", fc1);
  bwd.add(B.tp_collective("mlp_in.bwd", false));
  bwd.add(B.elementwise("post_attn_norm.bwd", 2 * (residual_bytes + norm_bytes)));
  bwd.add(B.tp_collective("attn_out.bwd", true));
  B.backward_gemms(bwd, "out_proj", proj);
  bwd.add(B.cp_exchange(true));
  B.attention_bwd(bwd);
  if (rope_bytes > 0) bwd.add(B.elementwise("rope.bwd", rope_bytes));
  B.backward_gemms(bwd, "qkv_proj", qkv);
  bwd.add(B.tp_collective("attn_in.bwd", false));
  bwd.add(B.elementwise("input_norm.bwd", 2 * norm_bytes));
  B.settle_overlap(bwd);

  switch (c.layout.recompute) {
    case Recompute::Full:
      L.recompute = fwd;
      for (Op& op : L.recompute.ops) op.name = "recompute." + op.name;
      break;
    case Recompute::Selective:
      B.attention_fwd(L.recompute, "recompute.");
      B.settle_overlap(L.recompute);
      break;
    case Recompute::None: break;
  }
  return L;
}

LayerPasses embedding_passes(const CostContext& c) {
  const Builder B(c);
  const Dims& d = B.dims();
  LayerPasses L;
  L.fwd.add(B.elementwise("embedding_lookup", 2 * d.T * d.h * kActBytes));
  // Vocabulary-parallel embedding: partial lookups are summed (scattered with SP) across TP.
  if (c.layout.tp > 1) L.fwd.add(B.tp_collective("embedding", false));
  B.settle_overlap(L.fwd);
  L.bwd.add(B.elementwise("embedding.bwd", 3 * d.T * d.h * kActBytes));
  if (c.layout.tp > 1) L.bwd.add(B.tp_collective("embedding.bwd", true));
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
  if (c.layout.sequence_parallel) L.fwd.add(B.tp_collective("lm_head_in", true));
  L.fwd.add(B.gemm("lm_head", head, /*low_precision=*/false));  // the output layer stays in BF16
  // Cross-entropy: BF16 logits read, FP32 softmax written and read back.
  L.fwd.add(B.elementwise("cross_entropy", logits * (kActBytes + 4 + 4)));
  B.settle_overlap(L.fwd);
  L.bwd.add(B.elementwise("cross_entropy.bwd", logits * (4 + kActBytes)));
  B.backward_gemms(L.bwd, "lm_head", head, false);
  if (c.layout.tp > 1) L.bwd.add(B.tp_collective("lm_head_in.bwd", !c.layout.sequence_parallel ? true : false));
  L.bwd.add(B.elementwise("final_norm.bwd", 4 * d.T_sp * d.h * kActBytes));
  B.settle_overlap(L.bwd);
  if (c.layout.recompute == Recompute::Full) {
    L.recompute = L.fwd;
    for (Op& op : L.recompute.ops) op.name = "recompute." + op.name;
  }
  return L;
}

}  // namespace ct
