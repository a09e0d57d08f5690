#include "clustertwin/train/pipeline_schedule.hpp"

#include <set>

#include <algorithm>

namespace ct {

ScheduleEntry schedule_entry(int stage, int pp, int vp, int m, int position) {
  const int total = m * vp;
  int warmup;
  if (vp == 1) {
    warmup = std::min(pp - stage - 1, m);
  } else if (m == pp) {
    warmup = total;
  } else {
    warmup = std::min((pp - stage - 1) * 2 + (vp - 1) * pp, total);
  }
  const int steady = total - warmup;
  auto entry = [&](int k, bool forward) {
    const int in_group = k % (pp * vp);
    int chunk = in_group / pp;
    if (!forward) chunk = vp - 1 - chunk;
    const int microbatch = (k / (pp * vp)) * pp + in_group % pp;
    return ScheduleEntry{forward, chunk, vp == 1 ? k : microbatch};
  };
  if (position < warmup) return entry(position, true);
  const int q = position - warmup;
  if (q < 2 * steady) return q % 2 == 0 ? entry(warmup + q / 2, true) : entry(q / 2, false);
  return entry(q - steady, false);
}

std::vector<ScheduleEntry> pipeline_schedule(int stage, int pp, int vp, int m) {
  std::vector<ScheduleEntry> order(static_cast<std::size_t>(2 * m * vp));
  for (int k = 0; k < 2 * m * vp; ++k) order[k] = schedule_entry(stage, pp, vp, m, k);
  return order;
}

std::vector<std::vector<int>> in_flight_peaks(const std::vector<ScheduleEntry>& order, int vp) {
  std::set<std::vector<int>> peaks;
  std::vector<int> in_flight(static_cast<std::size_t>(vp), 0);
  for (std::size_t i = 0; i < order.size(); ++i) {
    in_flight[order[i].chunk] += order[i].forward ? 1 : -1;
    const bool peak = order[i].forward && (i + 1 == order.size() || !order[i + 1].forward);
    if (peak) peaks.insert(in_flight);
  }
  return {peaks.begin(), peaks.end()};
}

std::vector<int> layers_per_chunk(int layers, int chunks) {
  std::vector<int> out(chunks, layers / chunks);
  if (layers % chunks == 0) return out;
  if (chunks >= 2 && (layers + 2) % chunks == 0) {
    std::fill(out.begin(), out.end(), (layers + 2) / chunks);
    out.front() -= 1;
    out.back() -= 1;
    return out;
  }
  if ((layers + 1) % chunks == 0) {
    std::fill(out.begin(), out.end(), (layers + 1) / chunks);
    out.back() -= 1;
    return out;
  }
  // Otherwise spread the remainder over the middle chunks, away from embedding and loss.
  int rest = layers % chunks;
  for (int i = 1; rest > 0; i = (i % (chunks - 1)) + 1, --rest) out[chunks > 1 ? i : 0] += 1;
  return out;
}

}  // namespace ct
