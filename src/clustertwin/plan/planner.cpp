#include "clustertwin/plan/planner.hpp"

#include "clustertwin/cost/power.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <iterator>
#include <numeric>
#include <thread>

#include "clustertwin/core/error.hpp"
#include "clustertwin/model/params.hpp"
#include "clustertwin/train/recompute_choice.hpp"

namespace ct {
namespace {

std::vector<int> divisors_in(const std::vector<int>& options, int n) {
  std::vector<int> out;
  for (int v : options)
    if (v <= n && n % v == 0) out.push_back(v);
  return out;
}

// Pipeline depths worth trying: divisors of the GPU count up to the layer count (64 at most).
std::vector<int> pipeline_options(int gpus, int layers) {
  std::vector<int> out;
  for (int pp = 1; pp <= std::min(layers, 64); ++pp)
    if (gpus % pp == 0) out.push_back(pp);
  return out;
}

// Sequences per step: the request's, or the power of two nearest to 4M tokens (a common choice
// for 100B+ pretraining).
int default_global_batch(std::int64_t seq_len) {
  const double target = 4.0 * (1 << 20) / static_cast<double>(seq_len);
  return 1 << std::max(0, static_cast<int>(std::lround(std::log2(std::max(1.0, target)))));
}

// The recompute settings the request allows; "selective" expands to the profile's module ladder.
std::vector<ParallelLayout> recompute_settings(const PlanRequest& req) {
  std::vector<ParallelLayout> out;
  for (const ParallelLayout& o : recompute_options(ParallelLayout{}, req.profile, req.model))
    if (std::find(req.recomputes.begin(), req.recomputes.end(), o.recompute) != req.recomputes.end()) out.push_back(o);
  return out;
}

}  // namespace

double objective_of(Objective o, const RunProjection& run) {
  switch (o) {
    case Objective::Time: return run.wall_time_s;
    case Objective::Cost: return run.cost;
    case Objective::Energy: return run.facility_energy_kwh;
  }
  return run.wall_time_s;
}

std::vector<ParallelLayout> enumerate_layouts(const PlanRequest& req) {
  const ModelSpec& m = req.model;
  const int domain = req.system.nvlink_domain_gpus;
  const int target_gbs = default_global_batch(req.seq_len);
  std::vector<ParallelLayout> out;
  for (int gpus : req.gpu_counts)
    for (Precision prec : req.precisions)
      for (DpSharding sharding : req.shardings)
        for (int tp : divisors_in({1, 2, 4, 8}, static_cast<int>(m.heads)))
          for (int pp : pipeline_options(gpus, static_cast<int>(m.layers)))
            for (int vp : {1, 2, 3, 4, 6, 8})
              for (int cp : req.context_parallel)
                for (int ep : m.moe.enabled() ? std::vector<int>{1, 2, 4, 8, 16, 32, 64} : std::vector<int>{1})
                  for (int mb : req.micro_batches)
                    for (const ParallelLayout& rc : recompute_settings(req)) {
                      if (tp > domain || (vp > 1 && pp == 1) || pp * vp > m.layers) continue;
                      if (m.moe.enabled() && m.moe.num_experts % ep != 0) continue;
                      if (req.seq_len % cp != 0 || (cp > 1 && req.seq_len / cp < 1024)) continue;
                      ParallelLayout l;
                      l.gpus = gpus, l.tp = tp, l.pp = pp, l.vp = vp, l.cp = cp, l.ep = ep, l.micro_batch = mb;
                      l.seq_len = req.seq_len, l.precision = prec;
                      l.recompute = rc.recompute, l.recompute_modules = rc.recompute_modules;
                      // One batch for every layout, so that they are compared on the same work.
                      l.global_batch = req.global_batch > 0 ? req.global_batch : target_gbs;
                      l.sharding = sharding;
                      l.lora = req.lora, l.ep_node_dedup = req.ep_node_dedup;
                      try {
                        resolve_layout(l, m, "plan");
                      } catch (const InputError&) {
                        continue;  // not a valid layout of this model on this many GPUs
                      }
                      out.push_back(l);
                    }
  return out;
}

namespace {

TrainScenario scenario_for(const PlanRequest& req, const ParallelLayout& l) {
  return {req.model, req.system, l, req.profile};
}

void fill_run(const PlanRequest& req, PlanCandidate& c, double step_s, double power_w) {
  const double tokens_per_step = static_cast<double>(c.layout.global_batch) * c.layout.seq_len;
  c.run = project_run(req.tokens, tokens_per_step, step_s, power_w, c.layout.gpus, total_params(req.model), req.system,
                      req.site, req.reliability);
  c.objective_value = objective_of(req.objective, c.run);
}

// Runs fn(i, worker) for i in [0, n) on `threads` workers; `worker` indexes per-thread state.
template <typename Fn>
void parallel_for(std::size_t n, int threads, Fn&& fn) {
  if (threads <= 1 || n < 2) {
    for (std::size_t i = 0; i < n; ++i) fn(i, 0);
    return;
  }
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (std::size_t i = next++; i < n; i = next++) fn(i, t);
    });
  for (auto& th : pool) th.join();
}

// The bound phase: memory (exact, as the full simulation computes it) and a lower bound on the
// step time. Record: {peak memory bytes, fits (0/1), step-time lower bound s, layers offloaded}.
constexpr std::size_t kBoundWidth = 4;
void bound(const PlanRequest& req, const Calibration& cal, const ParallelLayout& l, PassCache& cache, double* record) {
  const SimulateOptions memory_only{.keep_timeline = false, .timing = false, .cache = &cache};
  TrainScenario s = scenario_for(req, l);
  TrainResult r = simulate_training_step(s, cal, memory_only);
  if (!r.feasible && req.activation_offload && l.recompute == Recompute::None) {
    s.layout.activation_offload_layers = fewest_offloaded_layers(s, cal, &cache);
    if (s.layout.activation_offload_layers > 0) r = simulate_training_step(s, cal, memory_only);
  }
  record[0] = r.peak_memory.total_bytes();
  record[1] = r.feasible ? 1 : 0;
  record[2] = r.lower_bound_s;
  record[3] = s.layout.activation_offload_layers;
}

// The objective's lower bound: the step-time bound at the lowest power a GPU can draw (idle, with
// its idle node share at the wall).
void apply_bound(const PlanRequest& req, const Calibration& cal, const double* record, PlanCandidate& c) {
  c.memory_bytes = record[0];
  c.feasible = record[1] != 0;
  c.layout.activation_offload_layers = static_cast<int>(record[3]);
  c.reason = c.feasible                                ? ""
             : c.layout.activation_offload_layers > 0 ? "its offloaded activations do not fit in host memory"
                                                      : "does not fit in GPU memory";
  c.lower_bound_s = record[2];
  const cost::NodePowerBreakdown idle =
      cost::node_power(cost::node_power_model(req.system, cal.power), req.system.gpu.idle_w, 0.0, 1.0);
  fill_run(req, c, c.lower_bound_s, idle.total(cost::PowerScope::NodeWall) / req.system.gpus_per_node);
}

// Record of a full simulation: step time, MFU, IT power per GPU, then the time breakdown.
constexpr double TimeBreakdown::*kBreakdownFields[] = {
    &TimeBreakdown::compute_s,    &TimeBreakdown::recompute_s, &TimeBreakdown::tp_exposed_s,
    &TimeBreakdown::cp_exposed_s, &TimeBreakdown::ep_exposed_s, &TimeBreakdown::dp_exposed_s,
    &TimeBreakdown::optimizer_s,  &TimeBreakdown::overhead_s,  &TimeBreakdown::bubble_s,
    &TimeBreakdown::offload_s};
constexpr std::size_t kSimWidth = 3 + std::size(kBreakdownFields);
static_assert(sizeof(TimeBreakdown) == std::size(kBreakdownFields) * sizeof(double), "a TimeBreakdown field is not shared");
void simulate(const PlanRequest& req, const Calibration& cal, const ParallelLayout& l, PassCache& cache, double* record) {
  const TrainResult r = simulate_training_step(scenario_for(req, l), cal, {.keep_timeline = false, .cache = &cache});
  record[0] = r.step_time_s;
  record[1] = r.mfu;
  record[2] = r.it_power_w_per_gpu;
  for (std::size_t f = 0; f < std::size(kBreakdownFields); ++f) record[3 + f] = r.breakdown.*kBreakdownFields[f];
}

void apply_simulation(const PlanRequest& req, const double* record, PlanCandidate& c) {
  c.simulated = true;
  c.step_time_s = record[0];
  c.mfu = record[1];
  c.it_power_w_per_gpu = record[2];
  for (std::size_t f = 0; f < std::size(kBreakdownFields); ++f) c.breakdown.*kBreakdownFields[f] = record[3 + f];
  fill_run(req, c, c.step_time_s, c.it_power_w_per_gpu);
}

// Computes rows of `width` for this process's items among `items` (fn(item, worker, row)),
// shares them, and applies every row to its candidate.
template <typename Compute, typename Apply>
void compute_shared(const std::vector<std::size_t>& items, std::size_t width, int threads, const WorkSharing& sharing,
                    Compute&& compute, Apply&& apply) {
  std::vector<double> records(items.size() * width, 0.0);
  std::vector<std::size_t> mine;
  for (std::size_t k = 0; k < items.size(); ++k)
    if (sharing.mine(k)) mine.push_back(k);
  parallel_for(mine.size(), threads, [&](std::size_t j, int w) { compute(items[mine[j]], w, &records[mine[j] * width]); });
  if (sharing.size > 1) sharing.gather(records, width);
  for (std::size_t k = 0; k < items.size(); ++k) apply(items[k], &records[k * width]);
}

bool meets_deadline(const PlanRequest& req, const PlanCandidate& c) {
  return !req.deadline_s || c.run.wall_time_s <= *req.deadline_s;
}

// Strict order of results: objective, then enumeration order (deterministic ties).
bool better(const PlanCandidate& a, std::size_t ia, const PlanCandidate& b, std::size_t ib) {
  if (a.objective_value != b.objective_value) return a.objective_value < b.objective_value;
  return ia < ib;
}

std::vector<std::size_t> pareto_front(const PlanResult& r) {
  std::vector<std::size_t> front;
  const auto& c = r.candidates;
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (!c[i].simulated) continue;
    bool dominated = false;
    for (std::size_t j = 0; j < c.size() && !dominated; ++j) {
      if (!c[j].simulated || j == i) continue;
      const auto &a = c[j].run, &b = c[i].run;
      const bool no_worse = a.wall_time_s <= b.wall_time_s && a.cost <= b.cost && a.facility_energy_kwh <= b.facility_energy_kwh;
      const bool better_somewhere = a.wall_time_s < b.wall_time_s || a.cost < b.cost || a.facility_energy_kwh < b.facility_energy_kwh;
      dominated = no_worse && better_somewhere;
    }
    if (!dominated) front.push_back(i);
  }
  std::sort(front.begin(), front.end(), [&](std::size_t a, std::size_t b) { return c[a].run.wall_time_s < c[b].run.wall_time_s; });
  return front;
}

std::string explain(const PlanResult& r) {
  if (r.top.size() < 2) return "";
  const PlanCandidate &w = r.candidates[r.top[0]], &o = r.candidates[r.top[1]];
  const std::pair<const char*, double> parts[] = {
      {"compute", o.breakdown.compute_s - w.breakdown.compute_s},
      {"exposed TP communication", o.breakdown.tp_exposed_s - w.breakdown.tp_exposed_s},
      {"exposed CP communication", o.breakdown.cp_exposed_s - w.breakdown.cp_exposed_s},
      {"exposed EP all-to-all", o.breakdown.ep_exposed_s - w.breakdown.ep_exposed_s},
      {"exposed DP communication", o.breakdown.dp_exposed_s - w.breakdown.dp_exposed_s},
      {"pipeline bubble", o.breakdown.bubble_s - w.breakdown.bubble_s},
      {"optimizer and overhead",
       o.breakdown.optimizer_s + o.breakdown.overhead_s - w.breakdown.optimizer_s - w.breakdown.overhead_s},
      {"exposed activation offload", o.breakdown.offload_s - w.breakdown.offload_s}};
  const auto* worst = &parts[0];
  for (const auto& p : parts)
    if (p.second > worst->second) worst = &p;
  return fmt::format("the runner-up's step is {:.3f} s longer ({:.3f} vs {:.3f} s); most of the gap is {} (+{:.3f} s)",
                     o.step_time_s - w.step_time_s, o.step_time_s, w.step_time_s, worst->first, worst->second);
}

}  // namespace

std::vector<std::size_t> closest_alternatives(const PlanResult& r, std::size_t n) {
  const auto& c = r.candidates;
  std::vector<std::size_t> rows;
  for (std::size_t i = 0; i < c.size(); ++i)
    if (c[i].simulated || r.simulated == 0) rows.push_back(i);
  auto closer = [&](std::size_t a, std::size_t b) {
    const double ka = r.simulated ? c[a].run.wall_time_s : c[a].memory_bytes;
    const double kb = r.simulated ? c[b].run.wall_time_s : c[b].memory_bytes;
    return ka != kb ? ka < kb : a < b;
  };
  std::sort(rows.begin(), rows.end(), closer);
  rows.resize(std::min(rows.size(), n));
  return rows;
}

PlanResult plan_training(const PlanRequest& req, const Calibration& cal, const Progress& progress,
                         const WorkSharing& sharing) {
  PlanResult res;
  for (const ParallelLayout& l : enumerate_layouts(req)) {
    PlanCandidate c;
    c.layout = l;
    res.candidates.push_back(std::move(c));
  }
  auto& cands = res.candidates;
  res.enumerated = static_cast<int>(cands.size());
  const int total = res.enumerated;
  std::atomic<int> done{0};
  auto tick = [&](int n = 1) {
    const int before = done.fetch_add(n), d = before + n;
    if (progress && (d / 256 != before / 256 || d == total)) progress(d, total);
  };
  // 1. Memory and bounds for everything (cheap, parallel).
  std::vector<PassCache> caches(static_cast<std::size_t>(std::max(1, req.threads)));
  std::vector<std::size_t> all(cands.size());
  std::iota(all.begin(), all.end(), 0);
  compute_shared(
      all, kBoundWidth, req.threads, sharing,
      [&](std::size_t i, int w, double* row) { bound(req, cal, cands[i].layout, caches[w], row); },
      [&](std::size_t i, const double* row) { apply_bound(req, cal, row, cands[i]); });
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < cands.size(); ++i) {
    if (cands[i].feasible) {
      order.push_back(i);
      ++res.feasible;
    } else {
      res.infeasible_reasons[cands[i].reason]++;
      tick();
    }
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return cands[a].objective_value < cands[b].objective_value; });
  // 2. Branch and bound: simulate in bound order, a batch at a time. A layout is skipped when its
  //    bound can neither enter the top N (among deadline-meeting results) nor beat the best so far
  //    at its GPU count (the scaling curve); bounds only grow along `order`, so skipping is exact.
  //    A fixed batch (not one per thread or process count) keeps the simulated set, and so every
  //    output, independent of how many threads and processes run it.
  constexpr std::size_t batch = 32;
  std::vector<std::size_t> best;        // simulated, meeting the deadline, sorted
  std::map<int, double> best_per_count; // best objective simulated per GPU count
  auto needed = [&](std::size_t i) {
    const double bound = cands[i].objective_value;
    const bool may_enter_top = req.exhaustive || best.size() < static_cast<std::size_t>(req.top) ||
                               bound <= cands[best[req.top - 1]].objective_value;
    const auto it = best_per_count.find(cands[i].layout.gpus);
    const bool may_lead_count = it == best_per_count.end() || bound <= it->second;
    return may_enter_top || may_lead_count;
  };
  std::size_t pos = 0;
  while (pos < order.size()) {
    std::vector<std::size_t> chosen;
    for (; pos < order.size() && chosen.size() < batch; ++pos) {
      if (needed(order[pos])) {
        chosen.push_back(order[pos]);
      } else {
        ++res.bounded;
        tick();
      }
    }
    compute_shared(
        chosen, kSimWidth, req.threads, sharing,
        [&](std::size_t i, int w, double* row) { simulate(req, cal, cands[i].layout, caches[w], row); },
        [&](std::size_t i, const double* row) { apply_simulation(req, row, cands[i]); });
    tick(static_cast<int>(chosen.size()));
    for (std::size_t i : chosen) {
      if (meets_deadline(req, cands[i])) best.push_back(i);
      auto [it, fresh] = best_per_count.emplace(cands[i].layout.gpus, cands[i].objective_value);
      if (!fresh) it->second = std::min(it->second, cands[i].objective_value);
    }
    std::sort(best.begin(), best.end(), [&](std::size_t a, std::size_t b) { return better(cands[a], a, cands[b], b); });
  }
  for (const auto& c : cands) res.simulated += c.simulated;
  best.resize(std::min(best.size(), static_cast<std::size_t>(req.top)));
  res.top = best;
  res.pareto = pareto_front(res);
  res.explanation = explain(res);
  if (progress) progress(total, total);
  return res;
}

}  // namespace ct
