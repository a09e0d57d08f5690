#include "clustertwin/serve/engine.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <deque>

#include "clustertwin/core/error.hpp"

namespace ct::serve {

namespace {

// A request admitted to the running batch.
struct Live {
  std::size_t idx = 0;
  int target = 0;        // tokens to prefill: the prompt, plus output already generated if recomputed
  int computed = 0;      // prefilled so far
  int kv_tokens = 0;     // tokens whose K/V are cached
  long long blocks = 0;  // KV blocks held
  int chunk = 0;         // prompt tokens scheduled in the current iteration
  bool decoding = false; // scheduled for one decode token in the current iteration
  bool finished = false;
};

long long blocks_for(long long tokens, int block_tokens) { return (tokens + block_tokens - 1) / block_tokens; }

class Engine {
 public:
  Engine(const std::vector<Request>& reqs, const IterationCostModel& cost, const EngineOptions& o)
      : reqs_(reqs), cost_(cost), o_(o), free_blocks_(o.kv_blocks),
        watermark_blocks_(static_cast<long long>(std::ceil(o.limits.kv_watermark_fraction * o.kv_blocks))),
        generated_(reqs.size(), 0) {
    res_.requests.resize(reqs.size());
  }

  EngineResult run() {
    check_requests_fit();
    std::size_t next = 0;
    double now = 0, next_sample = 0;
    while (next < reqs_.size() || !waiting_.empty() || !running_.empty()) {
      while (next < reqs_.size() && reqs_[next].arrival_s <= now) waiting_.push_back(next++);
      if (waiting_.empty() && running_.empty()) {
        now = reqs_[next].arrival_s;  // idle until the next arrival
        continue;
      }
      const IterationBatch batch = schedule();
      const IterationRun it = cost_.run(batch);
      const double dt = it.time_s * o_.time_scale;
      res_.busy_gpu_energy_j += it.gpu_power_w * dt;
      res_.busy_gpu_load_s += it.gpu_load * dt;
      if (o_.keep_iterations)
        res_.iterations_log.push_back({now, dt, static_cast<int>(batch.prefill_tokens), static_cast<int>(batch.decode_sequences)});
      res_.running_sum += static_cast<double>(running_.size());
      now += dt;
      res_.busy_s += dt;
      ++res_.iterations;
      complete(now);
      if (now >= next_sample) {
        res_.timeline.push_back({now, 1.0 - static_cast<double>(free_blocks_) / static_cast<double>(o_.kv_blocks),
                                 static_cast<int>(running_.size()), static_cast<int>(waiting_.size())});
        next_sample = now + o_.sample_interval_s;
      }
    }
    res_.end_s = now;
    return std::move(res_);
  }

 private:
  void check_requests_fit() const {
    const long long capacity = o_.kv_blocks * o_.limits.kv_block_tokens;
    for (std::size_t i = 0; i < reqs_.size(); ++i) {
      const long long need = static_cast<long long>(reqs_[i].input_tokens) + reqs_[i].output_tokens;
      if (need > capacity)
        throw InputError("workload", fmt::format("request {}", i + 1),
                         fmt::format("needs {} tokens of KV cache, the engine holds {}", need, capacity));
    }
  }

  // Builds one iteration: decodes first (they hold memory and latency targets), then the chunks of
  // prompts already admitted, then new prompts while the token budget, batch and KV blocks allow.
  IterationBatch schedule() {
    IterationBatch b = cost_.empty_batch();
    int budget = o_.limits.max_num_batched_tokens;
    const int block = o_.limits.kv_block_tokens;
    for (Live& l : running_) l.chunk = 0, l.decoding = false;
    for (std::size_t i = 0; i < running_.size() && budget > 0; ++i) {
      Live& l = running_[i];
      if (l.computed < l.target) continue;
      const long long need = blocks_for(l.kv_tokens + 1, block);
      bool preempted_self = false;
      while (need > l.blocks && free_blocks_ == 0) {
        preempted_self = running_.size() - 1 == i;
        preempt_last();
        if (preempted_self) break;
      }
      if (preempted_self) break;
      if (need > l.blocks) {
        --free_blocks_;
        ++l.blocks;
      }
      l.decoding = true;
      b.add_decode(l.kv_tokens + 1);
      b.sampled_sequences += 1;
      --budget;
    }
    for (Live& l : running_) {
      if (l.computed >= l.target || budget <= 0) continue;
      schedule_chunk(l, budget, b);
    }
    while (!waiting_.empty() && budget > 0 && static_cast<int>(running_.size()) < o_.limits.max_batch_size) {
      const std::size_t idx = waiting_.front();
      const int target = reqs_[idx].input_tokens + generated_[idx];
      const long long blocks = std::max<long long>(1, blocks_for(target, block));
      if (free_blocks_ - blocks < watermark_blocks_ && !running_.empty()) break;
      if (free_blocks_ < blocks) break;
      waiting_.pop_front();
      free_blocks_ -= blocks;
      running_.push_back(Live{idx, target, 0, 0, blocks, 0, false, false});
      schedule_chunk(running_.back(), budget, b);
    }
    return b;
  }

  void schedule_chunk(Live& l, int& budget, IterationBatch& b) {
    l.chunk = std::min(l.target - l.computed, budget);
    budget -= l.chunk;
    b.add_prefill_chunk(l.chunk, l.computed);
    if (l.computed + l.chunk == l.target) b.sampled_sequences += 1;
  }

  // Recompute preemption: the newest running request gives back its blocks and waits at the head
  // of the queue; its prompt and the tokens it generated are prefilled again when it returns.
  void preempt_last() {
    Live& victim = running_.back();
    free_blocks_ += victim.blocks;
    ++res_.requests[victim.idx].preemptions;
    ++res_.preemptions;
    waiting_.push_front(victim.idx);
    running_.pop_back();
  }

  void complete(double now) {
    for (Live& l : running_) {
      const Request& r = reqs_[l.idx];
      RequestResult& out = res_.requests[l.idx];
      bool produced = false;
      if (l.chunk > 0) {
        l.computed += l.chunk;
        l.kv_tokens = l.computed;
        produced = l.computed == l.target;
      } else if (l.decoding) {
        ++l.kv_tokens;
        produced = true;
      }
      if (!produced) continue;
      if (++generated_[l.idx] == 1) out.ttft_s = now - r.arrival_s;
      if (generated_[l.idx] >= r.output_tokens) {
        out.e2e_s = now - r.arrival_s;
        out.tpot_s = r.output_tokens > 1 ? (out.e2e_s - out.ttft_s) / (r.output_tokens - 1) : 0.0;
        out.done = true;
        free_blocks_ += l.blocks;
        l.finished = true;
      }
    }
    std::erase_if(running_, [](const Live& l) { return l.finished; });
  }

  const std::vector<Request>& reqs_;
  const IterationCostModel& cost_;
  const EngineOptions& o_;
  long long free_blocks_;
  const long long watermark_blocks_;
  std::vector<int> generated_;
  std::deque<std::size_t> waiting_;
  std::vector<Live> running_;
  EngineResult res_;
};

}  // namespace

EngineResult run_engine(const std::vector<Request>& requests, const IterationCostModel& cost, const EngineOptions& o) {
  if (o.kv_blocks <= 0) throw InputError("replica", "kv_cache", "no KV blocks");
  return Engine(requests, cost, o).run();
}

}  // namespace ct::serve
