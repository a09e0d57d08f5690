#include "clustertwin/train/step_simulator.hpp"

#include <algorithm>
#include <stdexcept>
#include <tuple>
#include <fmt/format.h>

#include "clustertwin/core/error.hpp"
#include "clustertwin/core/units.hpp"
#include "clustertwin/cost/collective.hpp"
#include "clustertwin/cost/compute.hpp"
#include "clustertwin/cost/power.hpp"
#include "clustertwin/cost/flops.hpp"
#include "clustertwin/model/params.hpp"
#include "clustertwin/train/pipeline_schedule.hpp"

namespace ct {
namespace {

using sim::DepKind;
using sim::TaskId;

// Per-chunk cost of one micro-batch pass and the data-parallel traffic of its parameters.
struct ChunkCost {
  double fwd_s = 0, bwd_s = 0;
  double fwd_compute_s = 0, bwd_compute_s = 0, recompute_s = 0;
  double tp_exposed_s = 0, cp_exposed_s = 0, ep_exposed_s = 0, host_wait_s = 0, offload_s = 0;
  double gather_s = 0;         // parameter all-gather (ZeRO-1/2: once per step; ZeRO-3: per pass)
  double reduce_s = 0;         // gradient reduce-scatter / all-reduce
  double replica_reduce_s = 0; // hybrid sharding: all-reduce of shards across replicas
  double bucket_fraction = 1;  // share of the traffic in the first/last bucket
  double optimizer_s = 0;
};

// A stage's compute stream over the step: the gaps between its tasks by cause, the optimizer,
// and when its last task ends.
struct StreamGaps {
  double bubble_s = 0, dp_exposed_s = 0, optimizer_s = 0, last_end_s = 0;
};

struct StageTasks {
  sim::StreamId compute, gather, reduce, pp_fwd, pp_bwd;
};

class StepBuilder {
 public:
  // Tasks go into `graph`; names only when `names` (a timeline is kept).
  StepBuilder(const TrainScenario& s, const Calibration& cal, TrainResult& r, sim::TaskGraph& graph, bool names)
      : s_(s), cal_(cal), r_(r), G_(graph), l_(s.layout), P_(l_.pp), V_(l_.vp), M_(l_.microbatches()), names_(names) {}

  sim::TaskGraph& graph() const { return G_; }

  void build_chunks() {
    const ModelSpec& m = s_.model;
    const auto counts = layers_per_chunk(static_cast<int>(m.layers), P_ * V_);
    r_.chunks.assign(P_ * V_, {});
    int first = 0;
    std::vector<int> first_layer(P_ * V_);
    for (int g = 0; g < P_ * V_; ++g) {
      first_layer[g] = first;
      first += counts[g];
    }
    const double head_params = m.tied_embeddings && P_ * V_ == 1 ? 0.0 : static_cast<double>(m.vocab) * m.hidden;
    for (int st = 0; st < P_; ++st)
      for (int c = 0; c < V_; ++c) {
        const int g = c * P_ + st;
        ChunkInfo& ci = r_.chunks[st * V_ + c];
        ci.stage = st;
        ci.chunk = c;
        ci.first_layer = first_layer[g];
        ci.layers = counts[g];
        ci.embedding = g == 0;
        ci.lm_head = g == P_ * V_ - 1;
        ci.mtp_layers = ci.lm_head ? m.mtp_layers : 0;
        // Dense weights split over TP; each GPU holds num_experts / ep whole experts.
        double dense = 0, experts = 0;
        for (int i = ci.first_layer; i < ci.first_layer + ci.layers; ++i) add_layer_params(m.layer(i), dense, experts);
        for (int i = 0; i < ci.mtp_layers; ++i) {
          add_layer_params(m.layer(m.layers - 1), dense, experts);
          dense += 2.0 * m.hidden * m.hidden;  // MTP projection
        }
        ci.params = (dense + (ci.embedding ? embedding_params(m) : 0.0) + (ci.lm_head ? head_params + m.hidden : 0.0)) / l_.tp;
        ci.expert_params = experts;
      }
    assign_offloaded_layers();
    costs_.resize(r_.chunks.size());
    for (std::size_t i = 0; i < r_.chunks.size(); ++i) costs_[i] = chunk_cost(r_.chunks[i]);
  }

  void build_graph() {
    sim::TaskGraph& G = G_;
    G.clear();
    G.reserve(static_cast<std::size_t>(P_) * V_ * M_ * 6 + 16);
    streams_.resize(P_);
    for (int st = 0; st < P_; ++st) {
      const std::string p = fmt::format("stage {} ", st);
      streams_[st] = {G.add_stream(p + "compute"), G.add_stream(p + "dp gather"), G.add_stream(p + "dp reduce"),
                      G.add_stream(p + "pp send fwd"), G.add_stream(p + "pp send bwd")};
    }
    const std::size_t n = static_cast<std::size_t>(P_) * V_ * M_;
    fwd_.assign(n, -1);
    bwd_.assign(n, -1);
    send_fwd_.assign(n, -1);
    send_bwd_.assign(n, -1);
    std::vector<std::vector<ScheduleEntry>> orders(P_);
    for (int st = 0; st < P_; ++st) orders[st] = pipeline_schedule(st, P_, V_, M_);
    for (int st = 0; st < P_; ++st) add_stage_tasks(st, orders[st]);
    for (int st = 0; st < P_; ++st) add_pipeline_deps(st);
  }

  const std::vector<ChunkCost>& costs() const { return costs_; }

  // Each stage offloads the activations of its first activation_offload_layers layers, in the
  // order its chunks run; its last layer never (its backward follows at once).
  void assign_offloaded_layers() {
    for (int st = 0; st < P_; ++st) {
      int left = l_.activation_offload_layers, layers = 0;
      for (int c = 0; c < V_; ++c) layers += r_.chunks[st * V_ + c].layers;
      if (left > 0 && left >= layers)
        throw InputError("--activation-offload", "activation_offload_layers",
                         fmt::format("must be less than the {} layers of pipeline stage {}", layers, st));
      for (int c = 0; c < V_; ++c) {
        ChunkInfo& ci = r_.chunks[st * V_ + c];
        ci.offloaded_layers = std::min(left, ci.layers);
        left -= ci.offloaded_layers;
      }
    }
  }

  // A proven lower bound on the step: each stage runs its passes one after another, its first
  // forward waits for micro-batch 0's forward through the stages before it (first chunk), and
  // the step ends no earlier than the last micro-batch's backward has gone back through them.
  // Communication and overheads, which can only add time, are left out.
  double lower_bound_s() const {
    double bound = 0, fill = 0, drain = 0;  // first-chunk forward / backward of the stages before
    for (int st = 0; st < P_; ++st) {
      bound = std::max(bound, fill + M_ * stage_microbatch_s(st) + std::max(stage_optimizer_s(st), drain));
      fill += costs_[st * V_].fwd_s;
      drain += costs_[st * V_].bwd_s;
    }
    return bound;
  }
  double busiest_stage_microbatch_s() const {
    double busiest = 0;
    for (int st = 0; st < P_; ++st) busiest = std::max(busiest, stage_microbatch_s(st));
    return busiest;
  }
  // A stage's passes for one micro-batch: forward and backward of each of its chunks.
  double stage_microbatch_s(int st) const {
    double busy = 0;
    for (int c = 0; c < V_; ++c) busy += costs_[st * V_ + c].fwd_s + costs_[st * V_ + c].bwd_s;
    return busy;
  }
  const std::vector<StageTasks>& streams() const { return streams_; }

  // One micro-batch's activations (or their gradient) sent to the next stage.
  double pipeline_send_s() const {
    const double act_bytes = static_cast<double>(l_.micro_batch) * l_.seq_len / l_.cp * s_.model.hidden * 2.0 / l_.tp;
    return P_ > 1 ? cost::p2p_time_s(act_bytes, r_.topology.pp_link) : 0.0;
  }
  double stage_optimizer_s(int st) const {
    double optimizer_s = 0;
    for (int c = 0; c < V_; ++c) optimizer_s += costs_[st * V_ + c].optimizer_s;
    return optimizer_s;
  }

  // The step that build_graph() and TaskGraph::run() time, for `m` micro-batches, computed
  // without a graph: every dependency but the pipeline's is local to a stage, so each stage runs
  // down its schedule and waits only for its neighbours' sends. The same operations on the same
  // numbers give the same times (tests/test_pipeline.cpp holds them equal over a grid of layouts).
  double clock(int m, std::vector<StreamGaps>& gaps) const {
    const std::size_t n = static_cast<std::size_t>(P_) * V_ * m;
    static thread_local std::vector<double> sent_fwd, sent_bwd;  // -1: not sent yet
    sent_fwd.assign(n, -1.0);
    sent_bwd.assign(n, -1.0);
    auto at = [&](int st, int c, int i) { return (static_cast<std::size_t>(st) * V_ + c) * m + i; };
    const bool zero3 = l_.sharding == DpSharding::Zero3;
    const double send_s = pipeline_send_s();
    struct Stage {
      int pos = 0;
      ScheduleEntry next;  // the pass at pos
      double compute_end = 0, last_start = -1, gather_end = 0, reduce_end = 0, fwd_send_end = 0, bwd_send_end = 0;
      double tail = -1, last = 0;  // latest gradient-reduction tail; latest end of any task
    };
    static thread_local std::vector<Stage> stages;
    static thread_local std::vector<std::pair<double, double>> step_gather;  // (first bucket, rest) ends
    stages.assign(P_, {});
    for (int st = 0; st < P_; ++st) stages[st].next = schedule_entry(st, P_, V_, m, 0);
    gaps.assign(P_, {});
    step_gather.assign(static_cast<std::size_t>(P_) * V_, {-1.0, -1.0});
    for (int st = 0; st < P_ && !zero3; ++st)
      for (int c = 0; c < V_; ++c) {
        const ChunkCost& cc = costs_[st * V_ + c];
        if (cc.gather_s <= 0) continue;
        Stage& S = stages[st];
        const double first = S.gather_end + cc.gather_s * cc.bucket_fraction;
        S.gather_end = first + cc.gather_s * (1 - cc.bucket_fraction);
        step_gather[st * V_ + c] = {first, S.gather_end};
        S.last = std::max(S.last, S.gather_end);
      }
    const int passes = 2 * V_ * m;
    // Runs stage st's next pass if its pipeline input has arrived.
    auto advance = [&](int st) {
      Stage& S = stages[st];
      const ScheduleEntry e = S.next;
      const ChunkCost& cc = costs_[st * V_ + e.chunk];
      const int g = e.chunk * P_ + st, i = e.microbatch;
      double pipe = -1;
      if (e.forward && g > 0) {
        pipe = sent_fwd[st > 0 ? at(st - 1, e.chunk, i) : at(P_ - 1, e.chunk - 1, i)];
        if (pipe < 0) return false;
      }
      if (!e.forward && g < P_ * V_ - 1) {
        pipe = sent_bwd[st < P_ - 1 ? at(st + 1, e.chunk, i) : at(0, e.chunk + 1, i)];
        if (pipe < 0) return false;
      }
      double first = -1, rest = -1;
      if (zero3 && cc.gather_s > 0) {
        first = std::max(S.gather_end, S.last_start) + cc.gather_s * cc.bucket_fraction;
        rest = S.gather_end = first + cc.gather_s * (1 - cc.bucket_fraction);
        S.last = std::max(S.last, rest);
      } else if (e.forward && i == 0) {
        std::tie(first, rest) = step_gather[st * V_ + e.chunk];
      }
      // Who keeps the pass waiting: the dependency ready last (the gather on a tie, as the graph).
      double latest = -1;
      bool dp_wait = false;
      if (first >= 0) latest = first, dp_wait = true;
      if (pipe > latest) latest = pipe, dp_wait = false;
      const double start = std::max(S.compute_end, latest), duration = e.forward ? cc.fwd_s : cc.bwd_s;
      const double end = std::max(start + duration, rest);
      StreamGaps& G = gaps[st];
      (dp_wait ? G.dp_exposed_s : G.bubble_s) += start - S.compute_end;
      G.dp_exposed_s += end - start - duration;
      S.compute_end = end;
      S.last_start = start;
      S.last = std::max(S.last, end);
      if (e.forward && g != P_ * V_ - 1) {
        S.fwd_send_end = sent_fwd[at(st, e.chunk, i)] = std::max(S.fwd_send_end, end) + send_s;
        S.last = std::max(S.last, S.fwd_send_end);
      }
      if (!e.forward && g != 0) {
        S.bwd_send_end = sent_bwd[at(st, e.chunk, i)] = std::max(S.bwd_send_end, end) + send_s;
        S.last = std::max(S.last, S.bwd_send_end);
      }
      if (!e.forward && (zero3 || i == m - 1) && (cc.reduce_s > 0 || cc.replica_reduce_s > 0)) {
        const double bulk = std::max(S.reduce_end, start) + cc.reduce_s * (1 - cc.bucket_fraction);
        S.reduce_end = std::max(bulk, end) + cc.reduce_s * cc.bucket_fraction;
        if (cc.replica_reduce_s > 0 && i == m - 1) S.reduce_end += cc.replica_reduce_s;
        S.tail = std::max(S.tail, S.reduce_end);
        S.last = std::max(S.last, S.reduce_end);
      }
      if (++S.pos < passes) S.next = schedule_entry(st, P_, V_, m, S.pos);
      return true;
    };
    // A stage runs until it waits for a neighbour; whenever it moved, its neighbours (which may
    // have been waiting for its sends) get another turn.
    static thread_local std::vector<int> turns;
    turns.resize(P_);
    for (int st = 0; st < P_; ++st) turns[st] = P_ - 1 - st;
    while (!turns.empty()) {
      const int st = turns.back();
      turns.pop_back();
      bool moved = false;
      while (stages[st].pos < passes && advance(st)) moved = true;
      if (moved) {
        turns.push_back((st + P_ - 1) % P_);
        turns.push_back((st + 1) % P_);
      }
    }
    for (const Stage& S : stages)
      if (S.pos < passes) throw std::logic_error("pipeline clock: deadlock");
    double last = 0;
    for (int st = 0; st < P_; ++st) {
      Stage& S = stages[st];
      const double optimizer_s = stage_optimizer_s(st);
      const double start = std::max(S.compute_end, S.tail), end = start + optimizer_s;
      StreamGaps& G = gaps[st];
      (S.tail >= 0 ? G.dp_exposed_s : G.bubble_s) += start - S.compute_end;
      G.dp_exposed_s += end - start - optimizer_s;
      G.optimizer_s += optimizer_s;
      G.last_end_s = end;
      last = std::max({last, S.last, end});
    }
    return last;
  }

 private:
  template <typename... Args>
  std::string label(fmt::format_string<Args...> f, Args&&... args) const {
    return names_ ? fmt::format(f, std::forward<Args>(args)...) : std::string();
  }

  std::size_t idx(int st, int c, int i) const { return (static_cast<std::size_t>(st) * V_ + c) * M_ + i; }

  void add_layer_params(const LayerSpec& spec, double& dense, double& experts) const {
    const ModelSpec& m = s_.model;
    const double routed = spec.ffn == FfnKind::Moe ? m.moe.num_experts * expert_params(m) : 0.0;
    dense += layer_params(m, spec) - routed;
    experts += routed / (l_.ep * l_.etp);
  }

  ChunkCost chunk_cost(const ChunkInfo& ci) const {
    const LayerPasses &E = r_.layers->embedding, &H = r_.layers->lm_head;
    ChunkCost cc;
    auto add = [&](const LayerPasses& p, double times) {
      cc.fwd_compute_s += times * p.fwd.compute_s;
      cc.bwd_compute_s += times * p.bwd.compute_s;
      cc.recompute_s += times * p.recompute.compute_s;
      cc.tp_exposed_s += times * (p.fwd.tp_exposed_s + p.bwd.tp_exposed_s + p.recompute.tp_exposed_s);
      cc.cp_exposed_s += times * (p.fwd.cp_exposed_s + p.bwd.cp_exposed_s + p.recompute.cp_exposed_s);
      cc.ep_exposed_s += times * (p.fwd.ep_exposed_s + p.bwd.ep_exposed_s + p.recompute.ep_exposed_s);
      cc.host_wait_s += times * (p.fwd.host_wait_s + p.bwd.host_wait_s + p.recompute.host_wait_s);
      cc.fwd_s += times * p.fwd.total_s();
      cc.bwd_s += times * (p.bwd.total_s() + p.recompute.total_s());
    };
    for (int i = ci.first_layer; i < ci.first_layer + ci.layers; ++i) add(r_.layers->kind_passes[r_.layers->kind_of_layer[i]], 1);
    if (ci.embedding) add(E, 1);
    if (ci.lm_head) add(H, 1 + ci.mtp_layers);  // each MTP module predicts through the LM head again
    if (ci.mtp_layers > 0) add(r_.layers->kind_passes[r_.layers->kind_of_layer[s_.model.layers - 1]], ci.mtp_layers);
    // An offloaded layer's activations go to host memory on a copy stream while the next layer
    // computes, and come back while the layer after it in the backward pass computes: only a copy
    // longer than that compute shows.
    for (int i = ci.first_layer; i < ci.first_layer + ci.offloaded_layers; ++i) {
      const int k = r_.layers->kind_of_layer[i];
      const LayerPasses& p = r_.layers->kind_passes[k];
      const double copy_s = r_.layers->kind_activation_bytes[k] / s_.system.host_link_bytes_per_s;
      const double fwd = std::max(0.0, copy_s - p.fwd.total_s());
      const double bwd = std::max(0.0, copy_s - p.bwd.total_s() - p.recompute.total_s());
      cc.offload_s += fwd + bwd;
      cc.fwd_s += fwd;
      cc.bwd_s += bwd;
    }
    cc.fwd_s += s_.profile.microbatch_overhead_s;
    cc.bwd_s += s_.profile.microbatch_overhead_s;

    const auto& topo = r_.topology;
    const SystemSpec& sys = s_.system;
    const auto& dev = cal_.device(sys.gpu.id);
    const double grad_bytes = ci.params * s_.profile.grad_reduce_bytes;
    const double param_bytes = ci.params * 2.0;  // BF16 parameters are gathered
    // A bucket of 0 means one wrapped unit per layer (FSDP).
    const double bucket = s_.profile.dp_bucket_params > 0 ? s_.profile.dp_bucket_params
                                                          : ci.params / std::max(1, ci.layers);
    cc.bucket_fraction = ci.params > 0 ? std::min(1.0, bucket / ci.params) : 1.0;
    if (l_.lora) return cc;  // frozen base weights: nothing to reduce, gather or update
    // Expert weights: reduced and gathered over the expert-data-parallel ranks that hold them;
    // the dense weights' traffic is added below.
    const int edp = topo.expert_dp.size;
    if (ci.expert_params > 0 && l_.sharding != DpSharding::None) {
      cc.reduce_s += cost::reduce_scatter_time_s(ci.expert_params * s_.profile.grad_reduce_bytes, edp, topo.expert_dp_link);
      cc.gather_s += cost::all_gather_time_s(ci.expert_params * 2.0, edp, topo.expert_dp_link);
    } else if (ci.expert_params > 0) {
      cc.reduce_s += cost::all_reduce_time_s(ci.expert_params * s_.profile.grad_reduce_bytes, edp, topo.expert_dp_link);
    }
    switch (l_.sharding) {
      case DpSharding::None:
        cc.reduce_s += cost::all_reduce_time_s(grad_bytes, l_.replicas(), topo.dp_all_reduce_link);
        break;
      case DpSharding::Zero1:
      case DpSharding::Zero2:
        cc.reduce_s += cost::reduce_scatter_time_s(grad_bytes, l_.replicas(), topo.dp_link);
        cc.gather_s += cost::all_gather_time_s(param_bytes, l_.replicas(), topo.dp_link);
        break;
      case DpSharding::Zero3: {
        const int shard = l_.shard_size();
        const GroupPlacement sg = place_group(shard, l_.tp, sys.nvlink_domain_gpus);
        const cost::Link link = group_link(sg, sys, dev, cal_.network);
        cc.reduce_s += cost::reduce_scatter_time_s(grad_bytes, shard, link);
        cc.gather_s += cost::all_gather_time_s(param_bytes, shard, link);
        if (shard < l_.replicas()) {
          const int groups = l_.replicas() / shard;
          const GroupPlacement rg = place_group(groups, l_.tp * shard, sys.nvlink_domain_gpus);
          cc.replica_reduce_s = cost::all_reduce_time_s(grad_bytes / shard, groups,
                                                        group_all_reduce_link(rg, sys, dev, cal_.network));
        }
        break;
      }
    }
    // Adam: read FP32 master, m, v and the gradient, write them back and the BF16 copy, on the
    // optimizer's shard; plus one read of the gradients for the global norm.
    const double shard = l_.sharding == DpSharding::None ? 1.0 : l_.shard_size();
    const double bytes_per_param = 2 * (s_.profile.master_bytes_per_param + s_.profile.optimizer_state_bytes_per_param) +
                                   2 * s_.profile.grad_bytes_per_param + 2.0;
    const double expert_shard = l_.sharding == DpSharding::None ? 1.0 : edp;
    const double params = ci.params / shard + ci.expert_params / expert_shard, offload = l_.optimizer_offload;
    cc.optimizer_s = cost::memory_bound_time_s(params * (1 - offload) * bytes_per_param,
                                               sys.gpu.hbm_bytes_per_s * dev.hbm_fraction, 0.0) +
                     (offload > 0 ? offloaded_optimizer_s(params * offload) : 0.0);
    return cc;
  }

  // Optimizer step on the CPU for `params` offloaded parameters: gradients down and updated BF16
  // weights up the GPU-CPU link; Adam reads the copied gradient and reads and writes the master
  // weights and moments in host memory.
  double offloaded_optimizer_s(double params) const {
    const SoftwareProfile& p = s_.profile;
    const SystemSpec& sys = s_.system;
    const double link_bytes = params * (p.grad_bytes_per_param + p.weight_bytes_per_param);
    const double host_bytes =
        params * (2 * (p.master_bytes_per_param + p.optimizer_state_bytes_per_param) + p.grad_bytes_per_param);
    return link_bytes / sys.host_link_bytes_per_s + host_bytes / sys.host_memory_bytes_per_s_per_gpu;
  }

  // A bucketed collective: the first (or last) bucket alone, the rest overlapped with compute.
  std::pair<TaskId, TaskId> bucketed(const std::string& name, sim::StreamId stream, double total_s, double frac,
                                     std::int32_t tag) {
    sim::TaskGraph& G = G_;
    const TaskId a = G.add_task(name + " (first bucket)", stream, total_s * frac, {}, tag);
    const TaskId b = G.add_task(name, stream, total_s * (1 - frac), {}, tag);
    return {a, b};
  }

  void add_stage_tasks(int st, const std::vector<ScheduleEntry>& order) {
    sim::TaskGraph& G = G_;
    const StageTasks& S = streams_[st];
    const bool zero3 = l_.sharding == DpSharding::Zero3;
    const double send_s = pipeline_send_s();

    // ZeRO-1/2: this step's parameters arrive by an all-gather overlapped with the first forward
    // passes (Megatron's overlap_param_gather), bucket by bucket.
    std::vector<std::pair<TaskId, TaskId>> step_gather(V_, {-1, -1});
    if (!zero3)
      for (int c = 0; c < V_; ++c)
        if (costs_[st * V_ + c].gather_s > 0)
          step_gather[c] = bucketed(label("param all-gather c{}", c), S.gather, costs_[st * V_ + c].gather_s,
                                    costs_[st * V_ + c].bucket_fraction, kTagDpGather);

    std::vector<int> last_bwd_pos(V_, -1);
    for (int k = 0; k < static_cast<int>(order.size()); ++k)
      if (!order[k].forward && order[k].microbatch == M_ - 1) last_bwd_pos[order[k].chunk] = k;

    TaskId prev_compute = -1;
    for (int k = 0; k < static_cast<int>(order.size()); ++k) {
      const ScheduleEntry& e = order[k];
      const ChunkCost& cc = costs_[st * V_ + e.chunk];
      const int g = e.chunk * P_ + st;
      std::vector<sim::Dependency>& deps = deps_scratch_;
      deps.clear();
      std::pair<TaskId, TaskId> gather{-1, -1};
      if (zero3 && cc.gather_s > 0) {
        gather = bucketed(label("{} all-gather c{} mb{}", e.forward ? "fwd" : "bwd", e.chunk, e.microbatch),
                          S.gather, cc.gather_s, cc.bucket_fraction, kTagDpGather);
        if (prev_compute >= 0) G.add_dependency(gather.first, {prev_compute, DepKind::StartToStart});
      } else if (e.forward && e.microbatch == 0) {
        gather = step_gather[e.chunk];
      }
      if (gather.first >= 0) {
        deps.push_back({gather.first, DepKind::FinishToStart});
        deps.push_back({gather.second, DepKind::FinishToFinish});
      }
      const std::string name = label("{} c{} mb{}", e.forward ? "F" : "B", e.chunk, e.microbatch);
      const TaskId t = G.add_task(name, S.compute, e.forward ? cc.fwd_s : cc.bwd_s, deps,
                                  e.forward ? kTagForward : kTagBackward);
      (e.forward ? fwd_ : bwd_)[idx(st, e.chunk, e.microbatch)] = t;
      prev_compute = t;
      if (e.forward && g != P_ * V_ - 1)
        send_fwd_[idx(st, e.chunk, e.microbatch)] =
            G.add_task(label("send act c{} mb{}", e.chunk, e.microbatch), S.pp_fwd, send_s, {{t}}, kTagPpSend);
      if (!e.forward && g != 0)
        send_bwd_[idx(st, e.chunk, e.microbatch)] =
            G.add_task(label("send grad c{} mb{}", e.chunk, e.microbatch), S.pp_bwd, send_s, {{t}}, kTagPpSend);
      if (!e.forward && (zero3 || k == last_bwd_pos[e.chunk])) add_gradient_reduction(st, e, t);
    }
    std::vector<sim::Dependency> opt_deps;
    for (TaskId id : reduce_tails_) opt_deps.push_back({id});
    reduce_tails_.clear();
    G.add_task("optimizer step", S.compute, stage_optimizer_s(st), std::move(opt_deps), kTagOptimizer);
  }

  // Gradient reduction of a backward pass: the bulk overlaps the pass (buckets are reduced as
  // they fill), the last bucket only after it.
  void add_gradient_reduction(int st, const ScheduleEntry& e, TaskId bwd) {
    sim::TaskGraph& G = G_;
    const ChunkCost& cc = costs_[st * V_ + e.chunk];
    if (cc.reduce_s <= 0 && cc.replica_reduce_s <= 0) return;
    const StageTasks& S = streams_[st];
    const std::string what = l_.sharding == DpSharding::None ? "grad all-reduce" : "grad reduce-scatter";
    const TaskId bulk = G.add_task(label("{} c{} mb{}", what, e.chunk, e.microbatch), S.reduce,
                                   cc.reduce_s * (1 - cc.bucket_fraction), {{bwd, DepKind::StartToStart}}, kTagDpReduce);
    TaskId tail = G.add_task(label("{} c{} mb{} (last bucket)", what, e.chunk, e.microbatch), S.reduce,
                             cc.reduce_s * cc.bucket_fraction, {{bwd}, {bulk}}, kTagDpReduce);
    if (cc.replica_reduce_s > 0 && e.microbatch == M_ - 1)
      tail = G.add_task(label("replica all-reduce c{}", e.chunk), S.reduce, cc.replica_reduce_s, {{tail}},
                        kTagDpReduce);
    reduce_tails_.push_back(tail);
  }

  void add_pipeline_deps(int st) {
    sim::TaskGraph& G = G_;
    for (int c = 0; c < V_; ++c)
      for (int i = 0; i < M_; ++i) {
        const int g = c * P_ + st;
        if (g > 0) {
          const int ps = st > 0 ? st - 1 : P_ - 1, pc = st > 0 ? c : c - 1;
          G.add_dependency(fwd_[idx(st, c, i)], {send_fwd_[idx(ps, pc, i)]});
        }
        if (g < P_ * V_ - 1) {
          const int ns = st < P_ - 1 ? st + 1 : 0, nc = st < P_ - 1 ? c : c + 1;
          G.add_dependency(bwd_[idx(st, c, i)], {send_bwd_[idx(ns, nc, i)]});
        }
      }
  }

  const TrainScenario& s_;
  const Calibration& cal_;
  TrainResult& r_;
  sim::TaskGraph& G_;
  const ParallelLayout& l_;
  const int P_, V_, M_;
  const bool names_;  // task names are only needed for the trace
  std::vector<ChunkCost> costs_;
  std::vector<StageTasks> streams_;
  std::vector<TaskId> fwd_, bwd_, send_fwd_, send_bwd_, reduce_tails_;
  std::vector<sim::Dependency> deps_scratch_;  // one compute task's dependencies, reused
};

// A stage's compute stream read off the timed graph: each gap charged to the dependency that
// became ready last.
StreamGaps graph_gaps(const StepBuilder& b, int st) {
  const sim::TaskGraph& G = b.graph();
  StreamGaps g;
  for (TaskId id : G.stream_tasks(b.streams()[st].compute)) {
    const sim::Task& t = G.task(id);
    const double gap = t.start_s - g.last_end_s;
    std::int32_t blocker = 0;
    double latest = -1;
    for (const auto& d : G.deps(id)) {
      const sim::Task& o = G.task(d.task);
      const double ready = d.kind == DepKind::StartToStart ? o.start_s : o.end_s;
      if (d.kind != DepKind::FinishToFinish && ready > latest) latest = ready, blocker = o.tag;
    }
    const bool dp_wait = blocker == kTagDpGather || blocker == kTagDpReduce;
    (dp_wait ? g.dp_exposed_s : g.bubble_s) += gap;
    g.dp_exposed_s += t.end_s - t.start_s - t.duration_s;  // waiting for an overlapped all-gather to land
    if (t.tag == kTagOptimizer) g.optimizer_s += t.duration_s;
    g.last_end_s = t.end_s;
  }
  return g;
}

// Splits a stage's time over `m` micro-batches into its causes; the parts sum to the step time.
TimeBreakdown stage_breakdown(const TrainResult& r, const StepBuilder& b, int st, int m, const StreamGaps& g) {
  const auto& costs = b.costs();
  const int V = r.scenario.layout.vp;
  TimeBreakdown tb;
  tb.bubble_s = g.bubble_s;
  tb.dp_exposed_s = g.dp_exposed_s;
  tb.optimizer_s = g.optimizer_s;
  tb.bubble_s += std::max(0.0, r.step_time_s - r.scenario.profile.step_overhead_s - g.last_end_s);
  for (int c = 0; c < V; ++c) {
    const ChunkCost& cc = costs[st * V + c];
    tb.compute_s += m * (cc.fwd_compute_s + cc.bwd_compute_s + cc.recompute_s);
    tb.recompute_s += m * cc.recompute_s;
    tb.tp_exposed_s += m * cc.tp_exposed_s;
    tb.cp_exposed_s += m * cc.cp_exposed_s;
    tb.ep_exposed_s += m * cc.ep_exposed_s;
    tb.overhead_s += m * (2 * r.scenario.profile.microbatch_overhead_s + cc.host_wait_s);
    tb.offload_s += m * cc.offload_s;
  }
  tb.overhead_s += r.scenario.profile.step_overhead_s;
  return tb;
}

// The step's power (cost/power.hpp): the critical stage's compute time split into tensor-bound
// time (the step's model FLOPs at the achievable BF16 GEMM rate, at most all of it) and
// memory-bound kernels; communication waits and bubbles at idle. IT power is at the wall of the
// nodes (supplies' losses included, facility not).
void fill_energy(TrainResult& r, const Calibration& cal) {
  const SystemSpec& sys = r.scenario.system;
  const double gpus = r.scenario.layout.gpus;
  const double compute_s = r.breakdown.compute_s;
  const double fraction = cal.by_gpu.count(sys.gpu.id) ? cal.device(sys.gpu.id).gemm_fraction_of(PeakFormat::BF16) : 1.0;
  const double tensor_s =
      std::min(compute_s, r.model_flops_per_step / gpus / (sys.gpu.peak(PeakFormat::BF16) * fraction));
  const cost::GpuOperatingPoint p = cost::gpu_operating_point(cost::gpu_power_model(sys.gpu, cal.power),
                                                              {r.step_time_s, tensor_s, compute_s - tensor_s});
  const cost::NodePowerBreakdown node =
      cost::node_power(cost::node_power_model(sys, cal.power), p.power_w, p.load, 1.0);
  r.gpu_activity = r.step_time_s > 0 ? compute_s / r.step_time_s : 0.0;
  r.gpu_power_w = p.power_w;
  r.it_power_w_per_gpu = node.total(cost::PowerScope::NodeWall) / sys.gpus_per_node;
  r.energy_per_step_j = r.it_power_w_per_gpu * gpus * r.step_time_s;
  r.energy_per_token_j = r.energy_per_step_j / r.tokens_per_step;
}

void fill_throughput(TrainResult& r) {
  const ParallelLayout& l = r.scenario.layout;
  const double gpus = l.gpus;
  r.tokens_per_step = static_cast<double>(l.global_batch) * l.seq_len;
  r.tokens_per_s_per_gpu = r.tokens_per_step / r.step_time_s / gpus;
  r.model_flops_per_step = cost::megatron_model_flops(r.scenario.model, l.global_batch, static_cast<double>(l.seq_len));
  r.model_tflops_per_gpu = r.model_flops_per_step / r.step_time_s / gpus / units::kTera;
  r.peak_flops = r.scenario.system.gpu.peak(PeakFormat::BF16);
  r.mfu = r.model_tflops_per_gpu * units::kTera / r.peak_flops;
}

void check_supported(const TrainScenario& s) {
  const PeakFormat fmt = gemm_peak_format(s.layout.precision);
  if (s.system.gpu.peak(fmt) <= 0)
    throw InputError("--precision", "precision",
                     fmt::format("{} has no {} tensor cores", s.system.gpu.name, to_string(s.layout.precision)));
  const ParallelLayout& l = s.layout;
  if (s.model.moe.enabled() && s.model.moe.num_experts % l.ep != 0)
    throw InputError("--ep", "ep", fmt::format("must divide the {} experts", s.model.moe.num_experts));
  if (l.moe_imbalance < 1.0) throw InputError("--moe-imbalance", "moe_imbalance", "must be >= 1");
  if (l.optimizer_offload < 0 || l.optimizer_offload > 1)
    throw InputError("--optimizer-offload", "optimizer_offload", "must be a share between 0 and 1");
  if (l.optimizer_offload > 0 && (s.system.host_memory_bytes_per_gpu <= 0 || s.system.host_link_bytes_per_s <= 0 ||
                                  s.system.host_memory_bytes_per_s_per_gpu <= 0))
    throw InputError("--optimizer-offload", "optimizer_offload",
                     s.system.id + " has no host memory figures (host_memory_gb_per_gpu, host_memory_gb_s_per_gpu, "
                                   "host_link_gb_s in data/hardware/systems.yaml)");
  if (l.activation_offload_layers < 0)
    throw InputError("--activation-offload", "activation_offload_layers", "must not be negative");
  if (l.activation_offload_layers > 0 && (s.system.host_memory_bytes_per_gpu <= 0 || s.system.host_link_bytes_per_s <= 0))
    throw InputError("--activation-offload", "activation_offload_layers",
                     s.system.id + " has no host memory figures (host_memory_gb_per_gpu, host_link_gb_s in "
                                   "data/hardware/systems.yaml)");
  if (l.moe_capacity_factor != 0 && l.moe_capacity_factor < 1.0)
    throw InputError("--moe-capacity-factor", "moe_capacity_factor", "must be >= 1 (or 0 for dropless routing)");
}

// One set of passes per distinct layer kind (a few even for hybrid models).
std::shared_ptr<const LayerCosts> compute_layer_costs(const ModelSpec& m, const CostContext& ctx) {
  auto costs = std::make_shared<LayerCosts>();
  // The softmax scores are not kept with fused (flash) attention, nor under selective recompute.
  const bool no_scores = ctx.profile.attention != AttentionKernel::Unfused || ctx.layout.recomputes(kRecomputeCoreAttn);
  costs->kind_of_layer.resize(m.layers);
  for (std::int64_t i = 0; i < m.layers; ++i) {
    const LayerSpec spec = m.layer(i);
    auto it = std::find(costs->kinds.begin(), costs->kinds.end(), spec);
    if (it == costs->kinds.end()) {
      costs->kinds.push_back(spec);
      costs->kind_passes.push_back(layer_passes(ctx, spec));
      costs->kind_activation_bytes.push_back(layer_activation_bytes(m, ctx.layout, spec, no_scores));
      it = costs->kinds.end() - 1;
    }
    costs->kind_of_layer[i] = static_cast<int>(it - costs->kinds.begin());
  }
  costs->embedding = embedding_passes(ctx);
  costs->lm_head = lm_head_passes(ctx);
  return costs;
}

TrainResult simulate_exact(const TrainScenario& s, const Calibration& cal, const SimulateOptions& opt) {
  TrainResult r;
  r.scenario = s;
  const ParallelLayout& l = s.layout;
  const DeviceCalibration& dev = cal.device(s.system.gpu.id);
  r.topology = map_layout(l, s.system, dev, cal.network);
  const CostContext ctx{s.model, l, s.system, dev, cal.kernels, cal.network, s.profile, r.topology};
  // The layout fields layer costs depend on (PP, VP and DP do not change them).
  const std::vector<double> key{static_cast<double>(l.tp), static_cast<double>(l.cp), static_cast<double>(l.ep),
                                static_cast<double>(l.etp),
                                static_cast<double>(l.micro_batch), static_cast<double>(l.seq_len),
                                static_cast<double>(l.precision), static_cast<double>(l.recompute),
                                static_cast<double>(l.recompute_modules),
                                static_cast<double>(l.sequence_parallel), static_cast<double>(l.lora), l.moe_imbalance,
                                l.moe_capacity_factor, static_cast<double>(l.ep_node_dedup)};  // (optimizer_offload changes no layer cost)
  if (opt.cache) {
    auto& slot = opt.cache->entries[key];
    if (!slot) slot = compute_layer_costs(s.model, ctx);
    r.layers = slot;
  } else {
    r.layers = compute_layer_costs(s.model, ctx);
  }

  // Without a timeline the graph is scratch: one per thread, emptied and refilled step after step.
  static thread_local sim::TaskGraph scratch;
  StepBuilder b(s, cal, r, opt.keep_timeline ? r.graph : scratch, opt.keep_timeline);
  b.build_chunks();
  r.lower_bound_s = b.lower_bound_s() + s.profile.step_overhead_s;
  r.busiest_stage_microbatch_s = b.busiest_stage_microbatch_s();
  if (opt.timing) {
    const int m = l.microbatches();
    std::vector<StreamGaps> gaps;
    if (opt.keep_timeline) {
      b.build_graph();
      r.step_time_s = b.graph().run() + s.profile.step_overhead_s;
      for (int st = 0; st < l.pp; ++st) gaps.push_back(graph_gaps(b, st));
    } else {
      r.step_time_s = b.clock(m, gaps) + s.profile.step_overhead_s;
    }
    fill_throughput(r);
    for (int st = 0; st < l.pp; ++st) r.stage_breakdowns.push_back(stage_breakdown(r, b, st, m, gaps[st]));
  }
  r.critical_stage = 0;
  for (int st = 1; opt.timing && st < l.pp; ++st)
    if (r.stage_breakdowns[st].bubble_s < r.stage_breakdowns[r.critical_stage].bubble_s) r.critical_stage = st;
  if (opt.timing) {
    r.breakdown = r.stage_breakdowns[r.critical_stage];
    fill_energy(r, cal);
  }

  // Memory, stage by stage.
  const bool full = l.recompute == Recompute::Full;
  const LayerCosts& lc = *r.layers;
  const std::vector<double>& kind_act = lc.kind_activation_bytes;
  const double largest_layer_act = *std::max_element(kind_act.begin(), kind_act.end());
  const double layer_ckpt = layer_checkpoint_bytes(s.model, l);
  auto layer_act = [&](int i) { return full ? layer_ckpt : kind_act[lc.kind_of_layer[i]]; };
  // Saved activations of a chunk: kept in HBM, and of its offloaded layers, in host memory.
  auto chunk_activations = [&](const ChunkInfo& ci, bool offloaded) {
    double bytes = 0;
    for (int i = ci.first_layer; i < ci.first_layer + ci.layers; ++i)
      if ((i < ci.first_layer + ci.offloaded_layers) == offloaded) bytes += layer_act(i);
    if (!offloaded) bytes += ci.mtp_layers * layer_act(static_cast<int>(s.model.layers) - 1);
    return bytes;
  };
  const double tokens = static_cast<double>(l.micro_batch) * l.seq_len / l.cp;
  const double logits = tokens * s.model.vocab / l.tp * s.profile.logits_bytes_per_element;
  r.memory_capacity_bytes = s.system.gpu.hbm_bytes;
  const int V = l.vp, M = l.microbatches();
  for (int st = 0; st < l.pp; ++st) {
    double params = 0, expert_params = 0, largest_chunk = 0, staging = 0;
    std::vector<double> act(V), host_act(V);
    for (int c = 0; c < V; ++c) {
      const ChunkInfo& ci = r.chunks[st * V + c];
      params += ci.params;
      expert_params += ci.expert_params;
      largest_chunk = std::max(largest_chunk, ci.params + ci.expert_params);
      act[c] = chunk_activations(ci, false) + (ci.embedding ? tokens * s.model.hidden * 2.0 / l.tp : 0.0);
      host_act[c] = chunk_activations(ci, true);
      for (int i = ci.first_layer; i < ci.first_layer + ci.offloaded_layers; ++i) staging = std::max(staging, layer_act(i));
    }
    // The schedule is periodic after its warm-up, so two rounds of pp micro-batches reach the
    // same peak as any longer accumulation loop.
    const int m = std::min(M, 2 * l.pp);
    std::vector<std::vector<int>> uncached;
    const std::vector<std::vector<int>>* peaks = &uncached;
    if (opt.cache) {
      auto [it, fresh] = opt.cache->schedule_peaks.try_emplace({st, l.pp, V, m});
      if (fresh) it->second = in_flight_peaks(pipeline_schedule(st, l.pp, V, m), V);
      peaks = &it->second;
    } else {
      uncached = in_flight_peaks(pipeline_schedule(st, l.pp, V, m), V);
    }
    double peak = 0, host_peak = 0;
    for (const std::vector<int>& counts : *peaks) {
      double bytes = 0, host = 0;
      for (int c = 0; c < V; ++c) bytes += counts[c] * act[c], host += counts[c] * host_act[c];
      peak = std::max(peak, bytes);
      host_peak = std::max(host_peak, host);
    }
    MemoryBreakdown mem = state_memory(params, l, s.profile);
    if (expert_params > 0) {
      const MemoryBreakdown e = state_memory(expert_params, l, s.profile, r.topology.expert_dp.size);
      mem.weights_bytes += e.weights_bytes;
      mem.gradients_bytes += e.gradients_bytes;
      mem.optimizer_bytes += e.optimizer_bytes;
      mem.host_bytes += e.host_bytes;
    }
    // One offloaded layer's activations are still in HBM while the copy engine moves them.
    mem.activations_bytes = peak + (full ? largest_layer_act : 0.0) + staging;
    mem.host_bytes += host_peak;
    bool has_head = false;
    for (int c = 0; c < V; ++c) has_head |= r.chunks[st * V + c].lm_head;
    mem.other_bytes = cal.memory.runtime_reserved_bytes + (has_head ? logits : 0.0);
    if (l.sharding == DpSharding::Zero3) {
      const double unit = r.chunks[st * V].layers > 0 ? largest_chunk / std::max(1, r.chunks[st * V].layers) : largest_chunk;
      mem.other_bytes += 2 * unit * 2.0;  // the gathered layer and the prefetched next one
    }
    r.stage_memory.push_back(mem);
    if (mem.total_bytes() > r.peak_memory.total_bytes()) r.peak_memory = mem;
  }
  if (r.peak_memory.total_bytes() > r.memory_capacity_bytes) {
    r.feasible = false;
    r.infeasible_reason = fmt::format("needs {:.1f} GB per GPU, {} has {:.1f} GB", r.peak_memory.total_bytes() / units::kGB,
                                      s.system.gpu.name, r.memory_capacity_bytes / units::kGB);
  }
  double host_peak = 0;
  for (const MemoryBreakdown& m : r.stage_memory) host_peak = std::max(host_peak, m.host_bytes);
  if (r.feasible && host_peak > s.system.host_memory_bytes_per_gpu && host_peak > 0) {
    r.feasible = false;
    r.infeasible_reason = fmt::format("offloaded optimizer state and activations need {:.1f} GB of host memory per GPU, {} has {:.1f} GB",
                                      host_peak / units::kGB, s.system.id, s.system.host_memory_bytes_per_gpu / units::kGB);
  }
  return r;
}

TimeBreakdown extrapolate(const TimeBreakdown& a, const TimeBreakdown& b, double k) {
  auto lin = [k](double x, double y) { return x + k * (y - x); };
  TimeBreakdown t;
  t.compute_s = lin(a.compute_s, b.compute_s);
  t.recompute_s = lin(a.recompute_s, b.recompute_s);
  t.tp_exposed_s = lin(a.tp_exposed_s, b.tp_exposed_s);
  t.cp_exposed_s = lin(a.cp_exposed_s, b.cp_exposed_s);
  t.ep_exposed_s = lin(a.ep_exposed_s, b.ep_exposed_s);
  t.dp_exposed_s = lin(a.dp_exposed_s, b.dp_exposed_s);
  t.optimizer_s = lin(a.optimizer_s, b.optimizer_s);
  t.overhead_s = lin(a.overhead_s, b.overhead_s);
  t.offload_s = lin(a.offload_s, b.offload_s);
  t.bubble_s = lin(a.bubble_s, b.bubble_s);
  return t;
}

}  // namespace

TrainResult simulate_training_step(const TrainScenario& s, const Calibration& cal, const SimulateOptions& opt) {
  check_supported(s);
  const ParallelLayout& l = s.layout;
  const int m = l.microbatches();
  // Symmetry: once the pipeline is full the schedule repeats every `period` micro-batches (pp of
  // them: with uneven stages single micro-batches add unequal time, a whole period the same), so
  // a long gradient-accumulation loop is simulated at two short lengths one period apart and
  // extrapolated. The steady state is reached after about 1.5 periods of 1F1B; interleaved
  // schedules need whole periods. (Checked against the full simulation in tests/test_pipeline.cpp.)
  const int period = l.pp;
  const int m1 = l.vp > 1 ? std::max(2, (8 + period - 1) / period) * period : std::max((3 * l.pp + 1) / 2, 8);
  if (opt.keep_timeline || !opt.timing || m <= m1 + period) return simulate_exact(s, cal, opt);
  // The two runs share their layer costs and schedules.
  PassCache local;
  SimulateOptions shared = opt;
  if (!shared.cache) shared.cache = &local;
  auto with_microbatches = [&](int mb) {
    TrainScenario t = s;
    t.layout.global_batch = mb * l.dp * l.micro_batch;
    return simulate_exact(t, cal, shared);
  };
  const TrainResult a = with_microbatches(m1);
  TrainResult r = with_microbatches(m1 + period);
  const double k = static_cast<double>(m - m1) / period;
  r.scenario = s;
  // Each further group adds at least the busiest stage's work for it (that stage runs its passes
  // one after another); with uneven stages the pipeline may not have settled on it yet at the
  // simulated lengths, so the step grows by the larger of the two. The bound, a maximum of
  // lines in the micro-batch count, grows no faster than that either: extended along its secant
  // it stays a bound.
  const double saturated_slope = period * r.busiest_stage_microbatch_s;
  r.step_time_s = a.step_time_s + k * std::max(r.step_time_s - a.step_time_s, saturated_slope);
  r.lower_bound_s = a.lower_bound_s + k * (r.lower_bound_s - a.lower_bound_s);
  for (std::size_t st = 0; st < r.stage_breakdowns.size(); ++st)
    r.stage_breakdowns[st] = extrapolate(a.stage_breakdowns[st], r.stage_breakdowns[st], k);
  r.breakdown = r.stage_breakdowns[r.critical_stage];
  fill_throughput(r);
  fill_energy(r, cal);
  return r;
}

}  // namespace ct
