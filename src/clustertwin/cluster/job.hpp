#pragma once
// A job as the scheduler sees it: who submits it, when, how many GPUs of which type, how long it
// runs on them, how often it checkpoints, and where its data may go.
#include <string>
#include <vector>

#include "clustertwin/cluster/tenants.hpp"

namespace ct::cluster {

// A whole GPU in milli-GPU; openb jobs below this share one GPU with others.
inline constexpr int kWholeGpuMilli = 1000;

struct Job {
  std::string name;
  int tenant = 0;
  double submit_s = 0;
  int gpus = 1;
  int gpu_milli = kWholeGpuMilli;           // < 1000 only with gpus == 1 (a shared GPU)
  std::vector<std::string> gpu_types;       // allowed GPU types; empty = any
  double duration_s = 0;                    // run time on its GPUs without interruptions
  double checkpoint_interval_s = 0;         // 0 = never checkpoints: a restart starts over
  DataClass data_class = DataClass::unrestricted;
  bool single_domain_required = false;      // must sit in one NVLink domain (else only preferred)
  double recorded_queue_delay_s = -1;       // from a trace (scheduled - created); -1 = unknown

  double gpu_seconds() const { return duration_s * gpus * gpu_milli / kWholeGpuMilli; }
};

struct Workload {
  std::vector<Job> jobs;                    // sorted by submit time
  std::vector<std::string> warnings;        // malformed lines and skipped jobs, with line numbers
  int skipped = 0;
};

}  // namespace ct::cluster
