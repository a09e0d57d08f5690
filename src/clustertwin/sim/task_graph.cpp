#include "clustertwin/sim/task_graph.hpp"

#include <stdexcept>
#include <unordered_map>

#include "clustertwin/sim/event_queue.hpp"

namespace ct::sim {

StreamId TaskGraph::add_stream(std::string name) {
  stream_names_.push_back(std::move(name));
  stream_tasks_.emplace_back();
  return static_cast<StreamId>(stream_names_.size() - 1);
}

TaskId TaskGraph::add_task(const std::string& name, StreamId stream, double duration_s, std::vector<Dependency> deps,
                           std::int32_t tag) {
  if (stream < 0 || stream >= static_cast<StreamId>(stream_tasks_.size()))
    throw std::logic_error("TaskGraph: unknown stream for task " + name);
  if (duration_s < 0) throw std::logic_error("TaskGraph: negative duration for task " + name);
  Task t;
  // Names repeat a lot (one per op kind); a linear probe of the last few keeps this cheap.
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
  t.deps = std::move(deps);
  t.tag = tag;
  tasks_.push_back(std::move(t));
  const TaskId id = static_cast<TaskId>(tasks_.size() - 1);
  stream_tasks_[stream].push_back(id);
  return id;
}

namespace {

struct Runner {
  std::vector<Task>& tasks;
  const std::vector<std::vector<TaskId>>& stream_tasks;
  EventQueue queue;
  std::vector<std::int32_t> start_waits, finish_waits;
  std::vector<std::vector<std::pair<TaskId, DepKind>>> dependents;
  std::vector<std::size_t> stream_head;
  std::vector<bool> stream_busy, awaiting_ff, finished;
  std::vector<StreamId> stream_of;
  std::size_t done = 0;

  Runner(std::vector<Task>& t, const std::vector<std::vector<TaskId>>& st)
      : tasks(t),
        stream_tasks(st),
        start_waits(t.size(), 0),
        finish_waits(t.size(), 0),
        dependents(t.size()),
        stream_head(st.size(), 0),
        stream_busy(st.size(), false),
        awaiting_ff(t.size(), false),
        finished(t.size(), false) {
    for (std::size_t i = 0; i < tasks.size(); ++i) {
      tasks[i].start_s = tasks[i].end_s = -1;
      for (const Dependency& d : tasks[i].deps) {
        if (d.task < 0 || static_cast<std::size_t>(d.task) >= tasks.size())
          throw std::logic_error("TaskGraph: dependency on unknown task");
        (d.kind == DepKind::FinishToFinish ? finish_waits : start_waits)[i]++;
        dependents[d.task].push_back({static_cast<TaskId>(i), d.kind});
      }
    }
  }

  void try_start(TaskId id) {
    const Task& t = tasks[id];
    const auto& order = stream_tasks[t.stream];
    if (stream_busy[t.stream] || stream_head[t.stream] >= order.size() || order[stream_head[t.stream]] != id) return;
    if (start_waits[id] > 0) return;
    start(id);
  }

  void start(TaskId id) {
    Task& t = tasks[id];
    stream_busy[t.stream] = true;
    t.start_s = queue.now();
    queue.schedule(t.start_s + t.duration_s, [this, id] { natural_end(id); });
    for (const auto& [dep, kind] : dependents[id])
      if (kind == DepKind::StartToStart && --start_waits[dep] == 0) try_start(dep);
  }

  void natural_end(TaskId id) {
    if (finish_waits[id] > 0) {
      awaiting_ff[id] = true;
      return;
    }
    finish(id);
  }

  void finish(TaskId id) {
    Task& t = tasks[id];
    t.end_s = queue.now();
    finished[id] = true;
    ++done;
    stream_busy[t.stream] = false;
    ++stream_head[t.stream];
    for (const auto& [dep, kind] : dependents[id]) {
      if (kind == DepKind::FinishToStart) {
        if (--start_waits[dep] == 0) try_start(dep);
      } else if (kind == DepKind::FinishToFinish) {
        if (--finish_waits[dep] == 0 && awaiting_ff[dep]) finish(dep);
      }
    }
    const auto& order = stream_tasks[t.stream];
    if (stream_head[t.stream] < order.size()) try_start(order[stream_head[t.stream]]);
  }

  double run() {
    queue.schedule(0.0, [this] {
      for (std::size_t s = 0; s < stream_tasks.size(); ++s)
        if (!stream_tasks[s].empty()) try_start(stream_tasks[s][0]);
    });
    const double end = queue.run();
    if (done != tasks.size()) throw std::logic_error("TaskGraph: deadlock, " + std::to_string(tasks.size() - done) + " tasks never ran");
    return end;
  }
};

}  // namespace

double TaskGraph::run() {
  Runner runner(tasks_, stream_tasks_);
  return runner.run();
}

}  // namespace ct::sim
