#pragma once
// A deterministic discrete-event core: callbacks ordered by (time, insertion order). Ties are
// broken by insertion order, so the same inputs always give the same event sequence.
#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

namespace ct::sim {

class EventQueue {
 public:
  using Callback = std::function<void()>;

  void schedule(double time_s, Callback cb) { heap_.push(Event{time_s, next_seq_++, std::move(cb)}); }
  double now() const { return now_; }
  bool empty() const { return heap_.empty(); }

  // Runs events until none are left; returns the time of the last one.
  double run() {
    while (!heap_.empty()) {
      Event ev = heap_.top();
      heap_.pop();
      now_ = ev.time_s;
      ev.cb();
    }
    return now_;
  }

 private:
  struct Event {
    double time_s;
    std::uint64_t seq;
    Callback cb;
    bool operator>(const Event& o) const { return time_s != o.time_s ? time_s > o.time_s : seq > o.seq; }
  };
  std::priority_queue<Event, std::vector<Event>, std::greater<>> heap_;
  std::uint64_t next_seq_ = 0;
  double now_ = 0;
};

}  // namespace ct::sim
