#include "clustertwin/workload/ops.hpp"

#include <algorithm>

#include "clustertwin/cost/collective.hpp"
#include "clustertwin/cost/compute.hpp"
#include "clustertwin/workload/layer.hpp"

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

LayerParallelism layer_parallelism(const ParallelLayout& l) {
  LayerParallelism p;
  p.tp = l.tp, p.ep = l.ep, p.etp = l.etp;
  p.sequence_parallel = l.sequence_parallel;
  return p;
}

namespace {

// Tokens the busiest expert GPU processes relative to balanced routing: the imbalance, capped by
// the expert capacity when over-capacity tokens are dropped.
double expert_load_factor(const ParallelLayout& l) {
  return l.moe_capacity_factor > 0 ? std::min(l.moe_imbalance, l.moe_capacity_factor) : l.moe_imbalance;
}

// Shapes and per-GPU sizes of one micro-batch, shared by the pass builders.
struct Dims {
  double b, s, h, kv, t, cp, T, T_sp, vocab;
  explicit Dims(const CostContext& c) {
    const auto& m = c.model;
    const auto& l = c.layout;
    b = l.micro_batch;
    s = static_cast<double>(l.seq_len);
    h = static_cast<double>(m.hidden);
    kv = static_cast<double>(m.kv_dim());
    t = l.tp;
    cp = l.cp;
    T = b * s / cp;                                  // tokens through the GEMMs
    T_sp = l.sequence_parallel ? T / t : T;          // tokens on the residual stream
    vocab = static_cast<double>(m.vocab);
  }
};

class Builder {
 public:
  explicit Builder(const CostContext& c)
      : c_(c), d_(c), parallel_(layer_parallelism(c.layout)),
        rows_(batch_rows(c.model, parallel_, d_.T, expert_load_factor(c.layout))) {
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
  const LayerParallelism& parallelism() const { return parallel_; }

  // An op of the layer description, forward.
  void forward(Pass& p, const LayerOp& op) const {
    const double rows = rows_.of(op.rows), launches = op.grouped ? rows_.active_experts : 1;
    switch (op.kind) {
      case LayerOpKind::Gemm: p.add(gemm(op.name, rows_.gemm(op), op.low_precision, launches)); break;
      case LayerOpKind::Cast: cast(p, op.name, rows * op.per_row, launches); break;
      case LayerOpKind::Elementwise: p.add(elementwise(op.name, rows * op.per_row, op.kernels)); break;
      case LayerOpKind::Attention: attention_fwd(p, op.sliding); break;
      case LayerOpKind::SsdScan: p.add(ssd_scan(false)); break;
      case LayerOpKind::TpEnter: tp_collective(p, op.name, rows * op.per_row, true); break;
      case LayerOpKind::TpExit: tp_collective(p, op.name, rows * op.per_row, false); break;
      case LayerOpKind::EpDispatch:
      case LayerOpKind::EpCombine: p.add(ep_all_to_all(op.name, rows, op.per_row)); break;
      case LayerOpKind::EtpGather: p.add(etp_collective(op.name, rows * op.per_row, true)); break;
      case LayerOpKind::EtpScatter: p.add(etp_collective(op.name, rows * op.per_row, false)); break;
      case LayerOpKind::CpExchange: p.add(cp_exchange(false)); break;
    }
  }

  // Its backward: GEMM data and weight gradients, the element-wise op's backward bytes, the
  // collective's mirror image (a gather's gradient is a reduction and back).
  void backward(Pass& p, const LayerOp& op) const {
    const double rows = rows_.of(op.rows), launches = op.grouped ? rows_.active_experts : 1;
    const std::string name = op.name + ".bwd";
    switch (op.kind) {
      case LayerOpKind::Gemm: backward_gemms(p, op.name, rows_.gemm(op), op.low_precision, true, launches); break;
      case LayerOpKind::Cast: break;  // the incoming gradient is quantised by backward_gemms
      case LayerOpKind::Elementwise: p.add(elementwise(name, rows * op.per_row * op.bwd_bytes, op.kernels)); break;
      case LayerOpKind::Attention: attention_bwd(p, op.sliding); break;
      case LayerOpKind::SsdScan: p.add(ssd_scan(true)); break;
      case LayerOpKind::TpEnter: tp_collective(p, name, rows * op.per_row, false); break;
      case LayerOpKind::TpExit: tp_collective(p, name, rows * op.per_row, true); break;
      case LayerOpKind::EpDispatch:
      case LayerOpKind::EpCombine: p.add(ep_all_to_all(name, rows, op.per_row)); break;
      case LayerOpKind::EtpGather: p.add(etp_collective(name, rows * op.per_row, false)); break;
      case LayerOpKind::EtpScatter: p.add(etp_collective(name, rows * op.per_row, true)); break;
      case LayerOpKind::CpExchange: p.add(cp_exchange(true)); break;
    }
  }

  // `launches`: a grouped GEMM (MoE experts) is one cuBLAS call per group, issued on several streams.
  Op gemm(std::string name, cost::GemmShape s, bool low_precision = true, double launches = 1) const {
    const bool lp = low_precision && is_low_precision(c_.layout.precision);
    const double opnd = lp ? gemm_operand_bytes(c_.layout.precision) : kActivationBytes;
    return {std::move(name), OpKind::Gemm, cost::gemm_time_s(s, lp ? low_ : bf16_, opnd, kActivationBytes), s.flops(), launches};
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
    const double bytes = elements * (kActivationBytes + quantized_copies(prec, c_.system.gpu.fp8_gemm_any_layout) * copy_bytes) *
                         c_.profile.fp8_cast_passes;
    p.add({name, OpKind::Elementwise, cost::memory_bound_time_s(bytes, hbm_, c_.kernels.launch_overhead_s), 0, launches});
  }

  // `sliding`: the layer attends over a sliding window (GPT-OSS), not the whole causal prefix.
  cost::AttentionShape attention_shape(bool sliding) const {
    cost::AttentionShape a;
    a.batch = d_.b;
    a.heads = attention_heads_per_gpu(c_.model, parallel_);
    a.q_len = d_.s / d_.cp;
    a.kv_len = d_.s;
    a.causal = true;
    a.head_dim = attention_head_dim(c_.model);
    const double window = static_cast<double>(c_.model.sliding_window);
    if (sliding && window > 0 && window < d_.s) {
      a.kv_len = window;  // each query sees a full band of `window` keys
      a.causal = false;
    }
    return a;
  }

  // Mamba-2 SSD (chunked scan): within each chunk an attention-like causal product over the state
  // and head dimensions, plus the chunk-state updates; Triton kernels at the FlashAttention-2
  // efficiency, unless the kernel chain's HBM traffic takes longer.
  Op ssd_scan(bool backward) const {
    const SsdWork w = ssd_work(c_.model.mamba, d_.T, d_.t);
    auto it = c_.device.attention.find(AttentionKernel::FlashAttention2);
    const AttentionEfficiency eff = it != c_.device.attention.end() ? it->second : AttentionEfficiency{};
    cost::AttentionDevice dev = attn_;
    dev.fwd_fraction = eff.fwd_fraction * c_.device.sustained_tensor_fraction;
    dev.bwd_fraction = eff.bwd_fraction * c_.device.sustained_tensor_fraction;
    const double ratio = backward ? cost::kAttentionBwdFlopRatio : 1.0;
    const double kernels = (backward ? 2.0 : 1.0) * kSsdScanKernels;
    return {backward ? "ssd_scan.bwd" : "ssd_scan", OpKind::Attention, ssd_time_s(w, dev, hbm_, backward),
            ratio * (w.chunk.fwd_flops() + w.state_flops), kernels};
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
  void attention_fwd(Pass& p, bool sliding, const std::string& prefix = "") const {
    const auto a = attention_shape(sliding);
    if (!unfused()) {
      p.add({prefix + "core_attention", OpKind::Attention, cost::attention_fwd_time_s(a, attention_device()), a.fwd_flops()});
      return;
    }
    const double bh = a.batch * a.heads, scores = bh * a.q_len * a.kv_len;
    p.add(gemm(prefix + "attn_scores", {a.q_len, a.kv_len, a.head_dim, bh}, false));
    p.add(elementwise(prefix + "mask_softmax_dropout", scores * (2 + 2 + 1 + 2)));
    p.add(gemm(prefix + "attn_values", {a.q_len, a.head_dim, a.kv_len, bh}, false));
  }

  void attention_bwd(Pass& p, bool sliding) const {
    const auto a = attention_shape(sliding);
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

  // Tensor-parallel collective on the residual stream where a TP region starts (`entering`) or
  // ends: 2 all-reduces per layer and pass without sequence parallelism, 2 + 2 halves with it.
  void tp_collective(Pass& p, const std::string& name, double bytes, bool entering) const {
    const int n = c_.layout.tp;
    if (n <= 1) return;
    switch (tp_boundary_collective(entering, c_.layout.sequence_parallel)) {
      case TpCollective::None: return;
      case TpCollective::AllGather:
        p.add({name + ".all_gather", OpKind::TpComm, cost::all_gather_time_s(bytes, n, c_.topology.tp_link), 0});
        return;
      case TpCollective::ReduceScatter:
        p.add({name + ".reduce_scatter", OpKind::TpComm, cost::reduce_scatter_time_s(bytes, n, c_.topology.tp_link), 0});
        return;
      case TpCollective::AllReduce:
        p.add({name + ".all_reduce", OpKind::TpComm, cost::all_reduce_time_s(bytes, n, c_.topology.tp_all_reduce_link), 0});
        return;
    }
  }

  // Ring attention: each of the cp-1 steps passes a K/V block (and in backward its gradient).
  Op cp_exchange(bool backward) const {
    const double kv_block = 2.0 * d_.b * (d_.s / d_.cp) * d_.kv / d_.t * kActivationBytes;
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
    const double frac = c_.device.gemm_fraction_of(fmt);
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
  LayerParallelism parallel_;
  BatchRows rows_;
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

// One block's passes from its forward description: the forward in order, the backward in
// reverse (each GEMM's data and weight gradients, each element-wise op's backward bytes, each
// collective's mirror image), and the recompute pass from the forward.
LayerPasses block_passes(const Builder& B, const CostContext& c, const std::vector<LayerOp>& ops) {
  LayerPasses L;
  for (const LayerOp& op : ops) B.forward(L.fwd, op);
  for (auto it = ops.rbegin(); it != ops.rend(); ++it) B.backward(L.bwd, *it);
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
  const LayerDescription layer = describe_layer(c.model, spec, B.parallelism());
  const LayerPasses mixer = block_passes(B, c, layer.mixer), ffn = block_passes(B, c, layer.ffn);
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

LayerPasses embedding_passes(const CostContext& c) {
  const Builder B(c);
  const Dims& d = B.dims();
  LayerPasses L;
  L.fwd.add(B.elementwise("embedding_lookup", 2 * d.T * d.h * kActivationBytes));
  // Vocabulary-parallel embedding: partial lookups are summed (scattered with SP) across TP.
  B.tp_collective(L.fwd, "embedding", d.T * d.h * kActivationBytes, false);
  B.settle_overlap(L.fwd);
  L.bwd.add(B.elementwise("embedding.bwd", 3 * d.T * d.h * kActivationBytes));
  B.tp_collective(L.bwd, "embedding.bwd", d.T * d.h * kActivationBytes, true);
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
  L.fwd.add(B.elementwise("final_norm", 2 * d.T_sp * d.h * kActivationBytes));
  B.tp_collective(L.fwd, "lm_head_in", d.T * d.h * kActivationBytes, true);
  L.fwd.add(B.gemm("lm_head", head, /*low_precision=*/false));  // the output layer stays in BF16
  // Cross-entropy: BF16 logits read, FP32 softmax written and read back.
  L.fwd.add(B.elementwise("cross_entropy", logits * (kActivationBytes + 4 + 4)));
  L.bwd.add(B.elementwise("cross_entropy.bwd", logits * (4 + kActivationBytes)));
  B.backward_gemms(L.bwd, "lm_head", head, false);
  B.tp_collective(L.bwd, "lm_head_in.bwd", d.T * d.h * kActivationBytes, false);
  L.bwd.add(B.elementwise("final_norm.bwd", 4 * d.T_sp * d.h * kActivationBytes));
  finish(B, c, L);
  return L;
}

}  // namespace ct
