#pragma once
// Tasks on in-order streams (like CUDA streams) with dependencies, run by a discrete-event
// simulation. The engine knows nothing of GPUs or transformers: a task is a name, a stream,
// a duration and its dependencies.
//
// Dependency kinds:
//  - FinishToStart: the task starts after the other finishes (data dependency).
//  - StartToStart:  the task starts no earlier than the other starts (bucketed overlap, e.g. a
//                   gradient reduce-scatter that begins while the backward pass is running).
//  - FinishToFinish: the task cannot finish before the other finishes (a compute pass that
//                   needs all the parameters an overlapped all-gather brings).
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace ct::sim {

using TaskId = std::int32_t;
using StreamId = std::int32_t;

enum class DepKind : std::uint8_t { FinishToStart, StartToStart, FinishToFinish };

struct Dependency {
  TaskId task;
  DepKind kind = DepKind::FinishToStart;
};

struct Task {
  std::int32_t name_id = 0;  // index into the graph's interned names
  StreamId stream = 0;
  double duration_s = 0;
  std::int32_t tag = 0;  // free for the caller (e.g. the kind of work, for breakdowns)
  // Results.
  double start_s = -1;
  double end_s = -1;
};

class TaskGraph {
 public:
  StreamId add_stream(std::string name);
  TaskId add_task(const std::string& name, StreamId stream, double duration_s, std::initializer_list<Dependency> deps = {},
                  std::int32_t tag = 0);
  TaskId add_task(const std::string& name, StreamId stream, double duration_s, std::span<const Dependency> deps,
                  std::int32_t tag = 0);
  void add_dependency(TaskId task, Dependency dep);

  // Runs the graph; tasks on one stream execute in the order they were added. Throws
  // std::logic_error if the graph deadlocks (a cycle through dependencies and stream order).
  double run();

  const std::vector<Task>& tasks() const { return tasks_; }
  const Task& task(TaskId id) const { return tasks_[id]; }
  std::span<const Dependency> deps(TaskId id) const;  // valid after run()
  const std::string& task_name(TaskId id) const { return names_[tasks_[id].name_id]; }
  const std::vector<std::string>& stream_names() const { return stream_names_; }
  const std::vector<TaskId>& stream_tasks(StreamId s) const { return stream_tasks_[s]; }  // in stream order
  std::size_t size() const { return tasks_.size(); }
  // Empties the graph but keeps its memory, so a graph rebuilt step after step allocates nothing.
  void clear();
  void reserve(std::size_t n) {
    tasks_.reserve(n);
    edges_.reserve(2 * n);
  }

 private:
  struct Edge {
    TaskId to;
    Dependency dep;
  };
  void build_adjacency();

  std::vector<Task> tasks_;
  std::vector<Edge> edges_;
  // Compressed adjacency built by run(): dependencies of each task, and its dependents.
  std::vector<std::int32_t> dep_offsets_, out_offsets_;
  std::vector<Dependency> dep_list_;
  std::vector<std::pair<TaskId, DepKind>> out_list_;
  std::vector<std::string> names_;
  std::vector<std::string> stream_names_;
  std::vector<std::vector<TaskId>> stream_tasks_;  // the first stream_names_.size() are in use
  // run()'s working memory: waits and ready time of each task's start and finish node.
  std::vector<std::int32_t> waits_, work_;
  std::vector<double> ready_;
  std::vector<TaskId> next_on_stream_;
};

}  // namespace ct::sim
