#include "clustertwin/sim/task_graph.hpp"

#include <algorithm>
#include <queue>
#include <stdexcept>

namespace ct::sim {

StreamId TaskGraph::add_stream(std::string name) {
  stream_names_.push_back(std::move(name));
  stream_tasks_.emplace_back();
  return static_cast<StreamId>(stream_names_.size() - 1);
}

TaskId TaskGraph::add_task(const std::string& name, StreamId stream, double duration_s,
                           std::initializer_list<Dependency> deps, std::int32_t tag) {
  return add_task(name, stream, duration_s, std::vector<Dependency>(deps), tag);
}

TaskId TaskGraph::add_task(const std::string& name, StreamId stream, double duration_s,
                           const std::vector<Dependency>& deps, std::int32_t tag) {
  if (stream < 0 || stream >= static_cast<StreamId>(stream_tasks_.size()))
    throw std::logic_error("TaskGraph: unknown stream for task " + name);
  if (duration_s < 0) throw std::logic_error("TaskGraph: negative duration for task " + name);
  Task t;
  // Names repeat a lot (one per op kind); a probe of the last few keeps interning cheap.
  std::int32_t name_id = -1;
  for (std::size_t i = names_.size(); i > 0 && i + 8 > names_.size(); --i)
    if (names_[i - 1] == name) name_id = static_cast<std::int32_t>(i - 1);
  if (name_id < 0) {
    names_.push_back(name);
    name_id = static_cast<std::int32_t>(names_.size() - 1);
  }
  t.name_id = name_id;
  t.stream = stream;
  t.duration_s = duration_s;
  t.tag = tag;
  tasks_.push_back(t);
  const TaskId id = static_cast<TaskId>(tasks_.size() - 1);
  stream_tasks_[stream].push_back(id);
  for (const Dependency& d : deps) edges_.push_back({id, d});
  return id;
}

void TaskGraph::add_dependency(TaskId task, Dependency dep) { edges_.push_back({task, dep}); }

std::span<const Dependency> TaskGraph::deps(TaskId id) const {
  if (dep_offsets_.size() != tasks_.size() + 1) return {};
  return {dep_list_.data() + dep_offsets_[id], static_cast<std::size_t>(dep_offsets_[id + 1] - dep_offsets_[id])};
}

void TaskGraph::build_adjacency() {
  const std::size_t n = tasks_.size();
  dep_offsets_.assign(n + 1, 0);
  out_offsets_.assign(n + 1, 0);
  for (const Edge& e : edges_) {
    if (e.dep.task < 0 || static_cast<std::size_t>(e.dep.task) >= n || e.to < 0 || static_cast<std::size_t>(e.to) >= n)
      throw std::logic_error("TaskGraph: dependency on unknown task");
    ++dep_offsets_[e.to + 1];
    ++out_offsets_[e.dep.task + 1];
  }
  for (std::size_t i = 0; i < n; ++i) {
    dep_offsets_[i + 1] += dep_offsets_[i];
    out_offsets_[i + 1] += out_offsets_[i];
  }
  dep_list_.resize(edges_.size());
  out_list_.resize(edges_.size());
  std::vector<std::int32_t> dep_fill(dep_offsets_.begin(), dep_offsets_.end() - 1);
  std::vector<std::int32_t> out_fill(out_offsets_.begin(), out_offsets_.end() - 1);
  for (const Edge& e : edges_) {
    dep_list_[dep_fill[e.to]++] = e.dep;
    out_list_[out_fill[e.dep.task]++] = {e.to, e.dep.kind};
  }
}

namespace {

// The event loop: completion events in a min-heap keyed by (time, sequence), so equal times
// resolve in a fixed order and runs are deterministic.
struct Event {
  double time_s;
  std::uint64_t seq;
  TaskId task;
  bool operator>(const Event& o) const { return time_s != o.time_s ? time_s > o.time_s : seq > o.seq; }
};

}  // namespace

double TaskGraph::run() {
  build_adjacency();
  const std::size_t n = tasks_.size();
  std::vector<std::int32_t> start_waits(n, 0), finish_waits(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    tasks_[i].start_s = tasks_[i].end_s = -1;
    for (const Dependency& d : deps(static_cast<TaskId>(i)))
      (d.kind == DepKind::FinishToFinish ? finish_waits : start_waits)[i]++;
  }
  std::vector<std::size_t> head(stream_tasks_.size(), 0);
  std::vector<char> busy(stream_tasks_.size(), 0), awaiting_ff(n, 0);
  std::priority_queue<Event, std::vector<Event>, std::greater<>> heap;
  std::uint64_t seq = 0;
  std::size_t done = 0;
  double now = 0;

  // Explicit work list instead of recursion: tasks whose start or finish may now happen.
  std::vector<TaskId> to_start;
  std::vector<TaskId> to_finish;
  auto try_start = [&](TaskId id) {
    const Task& t = tasks_[id];
    const auto& order = stream_tasks_[t.stream];
    if (busy[t.stream] || head[t.stream] >= order.size() || order[head[t.stream]] != id || start_waits[id] > 0) return;
    busy[t.stream] = 1;
    tasks_[id].start_s = now;
    heap.push({now + t.duration_s, seq++, id});
    for (std::int32_t k = out_offsets_[id]; k < out_offsets_[id + 1]; ++k)
      if (out_list_[k].second == DepKind::StartToStart && --start_waits[out_list_[k].first] == 0)
        to_start.push_back(out_list_[k].first);
  };
  auto finish = [&](TaskId id) {
    Task& t = tasks_[id];
    t.end_s = now;
    ++done;
    busy[t.stream] = 0;
    ++head[t.stream];
    for (std::int32_t k = out_offsets_[id]; k < out_offsets_[id + 1]; ++k) {
      const auto [dep, kind] = out_list_[k];
      if (kind == DepKind::FinishToStart) {
        if (--start_waits[dep] == 0) to_start.push_back(dep);
      } else if (kind == DepKind::FinishToFinish) {
        if (--finish_waits[dep] == 0 && awaiting_ff[dep]) to_finish.push_back(dep);
      }
    }
    const auto& order = stream_tasks_[t.stream];
    if (head[t.stream] < order.size()) to_start.push_back(order[head[t.stream]]);
  };
  auto drain = [&] {
    while (!to_start.empty() || !to_finish.empty()) {
      if (!to_finish.empty()) {
        const TaskId id = to_finish.back();
        to_finish.pop_back();
        finish(id);
      } else {
        const TaskId id = to_start.back();
        to_start.pop_back();
        try_start(id);
      }
    }
  };
  for (const auto& order : stream_tasks_)
    if (!order.empty()) to_start.push_back(order.front());
  // Streams start in order of their ids, as the generic engine did.
  std::reverse(to_start.begin(), to_start.end());
  drain();
  while (!heap.empty()) {
    const Event ev = heap.top();
    heap.pop();
    now = ev.time_s;
    if (finish_waits[ev.task] > 0) {
      awaiting_ff[ev.task] = 1;
    } else {
      finish(ev.task);
    }
    drain();
  }
  if (done != n) throw std::logic_error("TaskGraph: deadlock, " + std::to_string(n - done) + " tasks never ran");
  return now;
}

}  // namespace ct::sim
