#pragma once
// Pipeline schedules: the order in which one pipeline stage runs its forward and backward passes.
// 1F1B (Narayanan et al. 2021) and its interleaved form with virtual stages, as Megatron-LM
// implements them (schedules.py: warm-up, steady 1F1B, cool-down).
#include <vector>

namespace ct {

struct ScheduleEntry {
  bool forward = true;
  int chunk = 0;       // virtual stage (model chunk) on this rank, 0..vp-1
  int microbatch = 0;  // 0..m-1
};

// Order of passes on pipeline rank `stage` of `pp`, with `vp` chunks and `m` micro-batches.
std::vector<ScheduleEntry> pipeline_schedule(int stage, int pp, int vp, int m);
// Its entry at `position` (0 .. 2*m*vp-1), without building the whole order.
ScheduleEntry schedule_entry(int stage, int pp, int vp, int m, int position);

// The distinct counts of micro-batches in flight per chunk (forward done, backward not yet) at the
// schedule's local peaks: after each forward that a backward or the end follows. Activation
// memory, a sum of non-negative per-chunk amounts, peaks at one of them.
std::vector<std::vector<int>> in_flight_peaks(const std::vector<ScheduleEntry>& order, int vp);

// Layers of each global chunk (pp*vp of them, in pipeline order). When the embedding and the
// loss are counted as one layer each (Megatron's account-for-embedding/loss split, e.g. Llama 3
// 405B's 126 layers on 16 stages), the first and last chunks hold one layer fewer.
std::vector<int> layers_per_chunk(int layers, int chunks);

}  // namespace ct
