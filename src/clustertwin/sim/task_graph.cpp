#include "clustertwin/sim/task_graph.hpp"

#include <algorithm>
#include <stdexcept>

namespace ct::sim {

StreamId TaskGraph::add_stream(std::string name) {
  stream_names_.push_back(std::move(name));
  if (stream_tasks_.size() < stream_names_.size()) stream_tasks_.emplace_back();
  return static_cast<StreamId>(stream_names_.size() - 1);
}

void TaskGraph::clear() {
  tasks_.clear();
  edges_.clear();
  names_.clear();
  stream_names_.clear();
  for (auto& order : stream_tasks_) order.clear();
  dep_offsets_.clear();
  out_offsets_.clear();
}

TaskId TaskGraph::add_task(const std::string& name, StreamId stream, double duration_s,
                           std::initializer_list<Dependency> deps, std::int32_t tag) {
  return add_task(name, stream, duration_s, std::span<const Dependency>(deps.begin(), deps.size()), tag);
}

TaskId TaskGraph::add_task(const std::string& name, StreamId stream, double duration_s,
                           std::span<const Dependency> deps, std::int32_t tag) {
  if (stream < 0 || stream >= static_cast<StreamId>(stream_names_.size()))
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
  std::vector<std::int32_t>& dep_fill = waits_;  // (run()'s buffers, free until it starts)
  std::vector<std::int32_t>& out_fill = work_;
  dep_fill.assign(dep_offsets_.begin(), dep_offsets_.end() - 1);
  out_fill.assign(out_offsets_.begin(), out_offsets_.end() - 1);
  for (const Edge& e : edges_) {
    dep_list_[dep_fill[e.to]++] = e.dep;
    out_list_[out_fill[e.dep.task]++] = {e.to, e.dep.kind};
  }
}

// The event simulation of in-order streams is a longest-path computation: a task starts when its
// stream's previous task has finished and its start dependencies are met, and finishes at its
// start plus its duration or when its finish-to-finish dependencies finish, whichever is later.
// Each task is two nodes (start, finish) of that DAG, settled in topological order (Kahn), so
// no event heap is needed and equal inputs give the same times in any order. A cycle through
// dependencies and stream order is a deadlock.
double TaskGraph::run() {
  build_adjacency();
  const std::size_t n = tasks_.size();
  std::vector<std::int32_t>& waits = waits_;
  std::vector<double>& ready = ready_;
  std::vector<TaskId>& next_on_stream = next_on_stream_;
  waits.assign(2 * n, 0);
  ready.assign(2 * n, 0.0);
  next_on_stream.assign(n, -1);
  for (std::size_t s = 0; s < stream_names_.size(); ++s)
    for (std::size_t k = 0; k + 1 < stream_tasks_[s].size(); ++k) {
      next_on_stream[stream_tasks_[s][k]] = stream_tasks_[s][k + 1];
      ++waits[2 * stream_tasks_[s][k + 1]];
    }
  for (std::size_t i = 0; i < n; ++i) {
    tasks_[i].start_s = tasks_[i].end_s = -1;
    ++waits[2 * i + 1];  // a task finishes after it starts
    for (const Dependency& d : deps(static_cast<TaskId>(i))) ++waits[2 * i + (d.kind == DepKind::FinishToFinish ? 1 : 0)];
  }
  std::vector<std::int32_t>& work = work_;
  work.clear();
  for (std::size_t v = 0; v < 2 * n; ++v)
    if (waits[v] == 0) work.push_back(static_cast<std::int32_t>(v));
  auto reach = [&](std::int32_t v, double t) {
    ready[v] = std::max(ready[v], t);
    if (--waits[v] == 0) work.push_back(v);
  };
  std::size_t settled = 0;
  double last = 0;
  while (!work.empty()) {
    const std::int32_t v = work.back();
    work.pop_back();
    ++settled;
    const TaskId id = v / 2;
    Task& t = tasks_[id];
    if (v % 2 == 0) {
      t.start_s = ready[v];
      reach(v + 1, t.start_s + t.duration_s);
      for (std::int32_t k = out_offsets_[id]; k < out_offsets_[id + 1]; ++k)
        if (out_list_[k].second == DepKind::StartToStart) reach(2 * out_list_[k].first, t.start_s);
    } else {
      t.end_s = ready[v];
      last = std::max(last, t.end_s);
      for (std::int32_t k = out_offsets_[id]; k < out_offsets_[id + 1]; ++k) {
        const auto [dep, kind] = out_list_[k];
        if (kind == DepKind::FinishToStart) reach(2 * dep, t.end_s);
        else if (kind == DepKind::FinishToFinish) reach(2 * dep + 1, t.end_s);
      }
      if (next_on_stream[id] >= 0) reach(2 * next_on_stream[id], t.end_s);
    }
  }
  if (settled != 2 * n) {
    std::size_t unfinished = 0;
    for (std::size_t i = 0; i < n; ++i) unfinished += waits[2 * i + 1] > 0;
    throw std::logic_error("TaskGraph: deadlock, " + std::to_string(unfinished) + " tasks never ran");
  }
  return last;
}

}  // namespace ct::sim
