#pragma once
// A binary heap of plain event records for the fleet simulator. sim::EventQueue stores a
// std::function per event (an allocation each for captures); a million-job run pushes a few
// million events, so this keeps them as 24-byte PODs. Same contract: ordered by (time, insertion).
#include <cstdint>
#include <queue>
#include <vector>

namespace ct::cluster {

enum class EventKind : std::uint8_t { finish, failure, repair };

struct Event {
  double time_s;
  std::uint64_t seq;
  EventKind kind;
  std::uint32_t epoch;  // a job's run number: a finish from an interrupted run is stale
  int target;           // job (finish) or node (repair)
};

class EventHeap {
 public:
  void push(double time_s, EventKind kind, int target, std::uint32_t epoch = 0) {
    heap_.push(Event{time_s, next_seq_++, kind, epoch, target});
  }
  bool empty() const { return heap_.empty(); }
  const Event& top() const { return heap_.top(); }
  Event pop() {
    Event e = heap_.top();
    heap_.pop();
    return e;
  }

 private:
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      return a.time_s != b.time_s ? a.time_s > b.time_s : a.seq > b.seq;
    }
  };
  std::priority_queue<Event, std::vector<Event>, Later> heap_;
  std::uint64_t next_seq_ = 0;
};

}  // namespace ct::cluster
