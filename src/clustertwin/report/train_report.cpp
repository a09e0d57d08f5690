#include "clustertwin/report/train_report.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "clustertwin/core/units.hpp"
#include "clustertwin/model/params.hpp"
#include "clustertwin/report/range_format.hpp"

namespace ct {
namespace {

std::string layout_line(const ParallelLayout& l) {
  std::string s = fmt::format("TP {} x PP {}", l.tp, l.pp);
  if (l.vp > 1) s += fmt::format(" (VP {})", l.vp);
  s += fmt::format(" x CP {} x DP {}", l.cp, l.dp);
  if (l.sequence_parallel) s += ", sequence parallel";
  return s;
}

std::string sharding_name(const ParallelLayout& l) {
  switch (l.sharding) {
    case DpSharding::None: return "DDP (replicated state)";
    case DpSharding::Zero1: return "ZeRO-1 / distributed optimizer";
    case DpSharding::Zero2: return "ZeRO-2";
    case DpSharding::Zero3:
      return l.shard_group > 0 && l.shard_group < l.replicas() ? fmt::format("ZeRO-3 / FSDP, hybrid (shard {})", l.shard_group)
                                                       : "ZeRO-3 / FSDP";
  }
  return "?";
}

std::vector<std::pair<std::string, double>> breakdown_rows(const TimeBreakdown& b) {
  return {{"compute (GEMM, attention, element-wise)", b.compute_s - b.recompute_s},
          {"recompute", b.recompute_s},
          {"exposed TP communication", b.tp_exposed_s},
          {"exposed CP communication", b.cp_exposed_s},
          {"exposed EP all-to-all", b.ep_exposed_s},
          {"exposed DP communication", b.dp_exposed_s},
          {"pipeline bubble and p2p waits", b.bubble_s},
          {"optimizer step", b.optimizer_s},
          {"host overhead", b.overhead_s},
          {"exposed activation offload", b.offload_s}};
}

std::vector<std::pair<std::string, double>> memory_rows(const MemoryBreakdown& m) {
  return {{"weights", m.weights_bytes},
          {"gradients", m.gradients_bytes},
          {"optimizer state", m.optimizer_bytes},
          {"activations", m.activations_bytes},
          {"other (runtime, logits, buffers)", m.other_bytes}};
}

}  // namespace

PredictionRange training_range(const HeldOutErrors& errors, const TrainScenario& s) {
  return errors.range(comparable_class("training", s.system.gpu, s.model, s.layout.precision, s.profile.stack()));
}

std::string format_train_text(const TrainResult& r, const PredictionRange& range) {
  const auto& s = r.scenario;
  const auto& l = s.layout;
  std::string o;
  o += fmt::format("clustertwin train: {} ({:.1f}B parameters) on {} x {} ({})\n", s.model.name,
                   total_params(s.model) / 1e9, l.gpus, s.system.gpu.name, s.system.id);
  o += fmt::format("  layout    {}\n", layout_line(l));
  o += fmt::format("  batch     micro-batch {}, global batch {} x {} tokens, {} micro-batches per pipeline\n",
                   l.micro_batch, l.global_batch, l.seq_len, l.microbatches());
  o += fmt::format("  numerics  {} GEMMs, recompute {}{}, {}, software profile {}\n\n", to_string(l.precision),
                   recompute_name(l),
                   l.activation_offload_layers > 0
                       ? fmt::format(", activations of {} layers per stage in host memory", l.activation_offload_layers)
                       : "",
                   sharding_name(l), s.profile.name);
  o += fmt::format("  step time         {:>10.3f} s\n", r.step_time_s);
  if (r.feasible && range.available()) {
    const auto [lo, hi] = range.of_time(r.step_time_s);
    const auto [tlo, thi] = range.of_rate(r.tokens_per_s_per_gpu);
    o += fmt::format("  {:.0f}% range         {:.3f}-{:.3f} s, {:.0f}-{:.0f} tokens/s/GPU\n                    ({})\n",
                     range.coverage * 100, lo, hi, tlo, thi, range.describe());
  }
  o += fmt::format("  throughput        {:>10.0f} tokens/s/GPU   ({:.0f} tokens/s in all)\n", r.tokens_per_s_per_gpu,
                   r.tokens_per_s_per_gpu * l.gpus);
  o += fmt::format("  model FLOPs       {:>10.1f} TFLOP/s/GPU    (Megatron formula: 3 x forward, attention without\n"
                   "                                              the causal mask, recompute not counted)\n",
                   r.model_tflops_per_gpu);
  o += fmt::format("  MFU               {:>10.1f} %              (of the {:.1f} TFLOP/s dense BF16 peak)\n\n",
                   100 * r.mfu, r.peak_flops / units::kTera);
  o += fmt::format("  energy            {:>10.2f} J/token        ({:.0f} W per GPU at the node wall: the GPU {:.0f} W, "
                   "its share of host and supplies the rest; IT only)\n\n",
                   r.energy_per_token_j, r.it_power_w_per_gpu, r.gpu_power_w);
  o += fmt::format("  time per step, pipeline stage {} (the busiest)     seconds   share\n", r.critical_stage);
  for (const auto& [name, v] : breakdown_rows(r.breakdown))
    o += fmt::format("    {:<44} {:>9.3f}  {:>5.1f} %\n", name, v, 100 * v / r.step_time_s);
  o += fmt::format("\n  memory per GPU (fullest stage)                   GB\n");
  for (const auto& [name, v] : memory_rows(r.peak_memory)) o += fmt::format("    {:<44} {:>7.1f}\n", name, v / units::kGB);
  o += fmt::format("    {:<44} {:>7.1f}  of {:.1f} GB: {}\n", "total", r.peak_memory.total_bytes() / units::kGB,
                   r.memory_capacity_bytes / units::kGB, r.feasible ? "fits" : "DOES NOT FIT");
  if (r.peak_memory.host_bytes > 0)
    o += fmt::format("    {:<44} {:>7.1f}  of {:.1f} GB of host memory per GPU\n", "offloaded to host (optimizer, activations)",
                     r.peak_memory.host_bytes / units::kGB, s.system.host_memory_bytes_per_gpu / units::kGB);
  if (!r.feasible) o += fmt::format("\n  infeasible: {}\n", r.infeasible_reason);
  return o;
}

nlohmann::ordered_json train_to_json(const TrainResult& r, const PredictionRange& range) {
  const auto& s = r.scenario;
  const auto& l = s.layout;
  nlohmann::ordered_json j;
  j["model"] = s.model.name;
  j["parameters"] = total_params(s.model);
  j["system"] = s.system.id;
  j["gpu"] = s.system.gpu.id;
  j["layout"] = {{"gpus", l.gpus}, {"tp", l.tp}, {"pp", l.pp}, {"vp", l.vp}, {"cp", l.cp}, {"ep", l.ep}, {"dp", l.dp},
                 {"sequence_parallel", l.sequence_parallel}, {"micro_batch", l.micro_batch},
                 {"global_batch", l.global_batch}, {"seq_len", l.seq_len}, {"microbatches", l.microbatches()},
                 {"precision", to_string(l.precision)}, {"recompute", recompute_name(l)},
                 {"activation_offload_layers", l.activation_offload_layers},
                 {"dp_sharding", to_string(l.sharding)}, {"shard_group", l.shard_size()}};
  j["software_profile"] = s.profile.name;
  j["feasible"] = r.feasible;
  if (!r.feasible) j["infeasible_reason"] = r.infeasible_reason;
  j["step_time_s"] = r.step_time_s;
  j["tokens_per_step"] = r.tokens_per_step;
  j["tokens_per_s_per_gpu"] = r.tokens_per_s_per_gpu;
  if (r.feasible && range.available())
    j["range"] = range_json(range, {{"step_time_s", r.step_time_s, false},
                                    {"tokens_per_s_per_gpu", r.tokens_per_s_per_gpu, true},
                                    {"energy_per_token_j", r.energy_per_token_j, false}});
  j["model_flops_per_step"] = r.model_flops_per_step;
  j["model_tflops_per_gpu"] = r.model_tflops_per_gpu;
  j["mfu"] = r.mfu;
  j["mfu_definition"] = "Megatron num_floating_point_operations (3 x forward, non-causal attention, no recompute) / dense BF16 peak";
  j["peak_flops_per_gpu"] = r.peak_flops;
  j["energy"] = {{"gpu_activity", r.gpu_activity},
                 {"gpu_power_w", r.gpu_power_w},
                 {"it_power_w_per_gpu", r.it_power_w_per_gpu},
                 {"energy_per_step_j", r.energy_per_step_j},
                 {"energy_per_token_j", r.energy_per_token_j},
                 {"model", "cost/power.hpp: GPU idle + dynamic power by tensor and HBM busy time under its power limit, "
                           "+ host by GPU load, through the supplies' efficiency curve (node wall)"}};
  auto bd = [](const TimeBreakdown& b) {
    return nlohmann::ordered_json{{"compute_s", b.compute_s - b.recompute_s}, {"recompute_s", b.recompute_s},
                                  {"tp_exposed_s", b.tp_exposed_s},         {"cp_exposed_s", b.cp_exposed_s},
                                  {"ep_exposed_s", b.ep_exposed_s},
                                  {"dp_exposed_s", b.dp_exposed_s},         {"bubble_s", b.bubble_s},
                                  {"optimizer_s", b.optimizer_s},           {"overhead_s", b.overhead_s},
                                  {"offload_s", b.offload_s}};
  };
  j["critical_stage"] = r.critical_stage;
  j["breakdown"] = bd(r.breakdown);
  auto mem = [](const MemoryBreakdown& m) {
    return nlohmann::ordered_json{{"weights_bytes", m.weights_bytes},         {"gradients_bytes", m.gradients_bytes},
                                  {"optimizer_bytes", m.optimizer_bytes},     {"activations_bytes", m.activations_bytes},
                                  {"other_bytes", m.other_bytes},             {"total_bytes", m.total_bytes()},
                                  {"host_offloaded_bytes", m.host_bytes}};
  };
  j["memory_capacity_bytes"] = r.memory_capacity_bytes;
  j["peak_memory"] = mem(r.peak_memory);
  nlohmann::ordered_json stages = nlohmann::ordered_json::array();
  for (std::size_t st = 0; st < r.stage_breakdowns.size(); ++st)
    stages.push_back({{"stage", st}, {"breakdown", bd(r.stage_breakdowns[st])}, {"memory", mem(r.stage_memory[st])}});
  j["stages"] = stages;
  return j;
}

namespace {

// Appends Chrome trace events to a string (hand-written: tens of thousands of events).
class TraceWriter {
 public:
  void meta(int pid, int tid, const char* what, const std::string& name) {
    sep();
    out_ += fmt::format(R"({{"ph":"M","pid":{},"tid":{},"name":"{}","args":{{"name":"{}"}}}})", pid, tid, what, name);
  }
  void slice(int pid, int tid, const std::string& name, const char* cat, double start_s, double dur_s) {
    if (dur_s <= 0) return;
    sep();
    out_ += fmt::format(R"({{"ph":"X","pid":{},"tid":{},"name":"{}","cat":"{}","ts":{:.3f},"dur":{:.3f}}})", pid, tid,
                        name, cat, start_s * 1e6, dur_s * 1e6);
  }
  std::string finish() { return "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n" + out_ + "\n]}\n"; }

 private:
  void sep() {
    if (!out_.empty()) out_ += ",\n";
  }
  std::string out_;
};

constexpr int kOpDetailMicrobatches = 2;

enum Track { kCompute = 0, kTpComm = 1, kCpComm = 2, kDpGather = 3, kDpReduce = 4, kPpFwd = 5, kPpBwd = 6, kEpComm = 7 };

const char* op_category(OpKind k) {
  switch (k) {
    case OpKind::Gemm: return "gemm";
    case OpKind::Attention: return "attention";
    case OpKind::Elementwise: return "elementwise";
    case OpKind::TpComm: return "tp";
    case OpKind::CpComm: return "cp";
    case OpKind::EpComm: return "ep";
    case OpKind::HostWait: return "host";
  }
  return "op";
}

// Lays the ops of one pass out from `t`: compute ops back to back on the compute track,
// communication on its own track, the compute cursor advancing by the exposed share only.
double lay_out_pass(TraceWriter& w, int pid, const Pass& p, const std::string& prefix, double t) {
  const double tp_share = p.tp_comm_s > 0 ? p.tp_exposed_s / p.tp_comm_s : 0;
  const double cp_share = p.cp_comm_s > 0 ? p.cp_exposed_s / p.cp_comm_s : 0;
  const double ep_share = p.ep_comm_s > 0 ? p.ep_exposed_s / p.ep_comm_s : 0;
  for (const Op& op : p.ops) {
    if (op.kind == OpKind::TpComm || op.kind == OpKind::CpComm || op.kind == OpKind::EpComm) {
      const bool tp = op.kind == OpKind::TpComm, cp = op.kind == OpKind::CpComm;
      w.slice(pid, tp ? kTpComm : (cp ? kCpComm : kEpComm), prefix + op.name, op_category(op.kind), t, op.time_s);
      t += op.time_s * (tp ? tp_share : (cp ? cp_share : ep_share));
    } else {
      w.slice(pid, kCompute, prefix + op.name, op_category(op.kind), t, op.time_s);
      t += op.time_s;
    }
  }
  return t;
}

}  // namespace

std::string train_chrome_trace(const TrainResult& r) {
  TraceWriter w;
  const auto& l = r.scenario.layout;
  const char* track_names[] = {"compute",   "TP comm",     "CP comm",     "DP all-gather",
                               "DP reduce", "PP send fwd", "PP send bwd", "EP all-to-all"};
  for (int st = 0; st < l.pp; ++st) {
    w.meta(st, 0, "process_name", fmt::format("pipeline stage {}", st));
    for (int t = 0; t < 8; ++t) w.meta(st, t, "thread_name", track_names[t]);
  }
  const sim::TaskGraph& G = r.graph;
  const int streams_per_stage = 5;
  for (std::size_t id = 0; id < G.size(); ++id) {
    const sim::Task& task = G.task(static_cast<sim::TaskId>(id));
    const int st = task.stream / streams_per_stage;
    const std::string& name = G.task_name(static_cast<sim::TaskId>(id));
    const double dur = task.end_s - task.start_s;
    switch (task.tag) {
      case kTagDpGather: w.slice(st, kDpGather, name, "dp", task.start_s, dur); break;
      case kTagDpReduce: w.slice(st, kDpReduce, name, "dp", task.start_s, dur); break;
      case kTagPpSend:
        w.slice(st, task.stream % streams_per_stage == 3 ? kPpFwd : kPpBwd, name, "pp", task.start_s, dur);
        break;
      case kTagOptimizer: w.slice(st, kCompute, name, "optimizer", task.start_s, dur); break;
      case kTagForward:
      case kTagBackward: {
        w.slice(st, kCompute, name, task.tag == kTagForward ? "forward" : "backward", task.start_s, dur);
        // The pass's chunk and micro-batch: the name is "F c<chunk> mb<i>".
        const int chunk = std::atoi(name.c_str() + 3);
        const int microbatch = std::atoi(name.c_str() + name.find("mb") + 2);
        const ChunkInfo& ci = r.chunks[st * l.vp + chunk];
        // Every micro-batch runs the same ops: name them all in the first two, layers after that,
        // which keeps traces of long accumulation loops small enough to open.
        if (microbatch >= kOpDetailMicrobatches) {
          for (int k = 0; k < ci.layers; ++k) {
            const double per_layer = dur / std::max(1, ci.layers);
            w.slice(st, kCompute, fmt::format("layer {}", ci.first_layer + k), "layer", task.start_s + k * per_layer,
                    per_layer);
          }
          break;
        }
        double t = task.start_s;
        if (task.tag == kTagForward) {
          if (ci.embedding) t = lay_out_pass(w, st, r.layers->embedding.fwd, "", t);
          for (int k = 0; k < ci.layers; ++k) {
            const double begin = t;
            t = lay_out_pass(w, st, r.layers->kind_passes[r.layers->kind_of_layer[ci.first_layer + k]].fwd, "", t);
            w.slice(st, kCompute, fmt::format("layer {}", ci.first_layer + k), "layer", begin, t - begin);
          }
          if (ci.lm_head) t = lay_out_pass(w, st, r.layers->lm_head.fwd, "", t);
        } else {
          if (ci.lm_head) {
            t = lay_out_pass(w, st, r.layers->lm_head.recompute, "", t);
            t = lay_out_pass(w, st, r.layers->lm_head.bwd, "", t);
          }
          for (int k = ci.layers - 1; k >= 0; --k) {
            const double begin = t;
            const LayerPasses& passes = r.layers->kind_passes[r.layers->kind_of_layer[ci.first_layer + k]];
            t = lay_out_pass(w, st, passes.recompute, "", t);
            t = lay_out_pass(w, st, passes.bwd, "", t);
            w.slice(st, kCompute, fmt::format("layer {} bwd", ci.first_layer + k), "layer", begin, t - begin);
          }
          if (ci.embedding) lay_out_pass(w, st, r.layers->embedding.bwd, "", t);
        }
        break;
      }
      default: break;
    }
  }
  return w.finish();
}

}  // namespace ct
