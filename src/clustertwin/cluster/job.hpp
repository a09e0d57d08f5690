#pragma once
// A job as the scheduler sees it: who submits it, when, how many GPUs of which type, how long it
// runs on them, how often it checkpoints, and where its data may go.
#include <cmath>
#include <string>
#include <vector>

#include "clustertwin/cluster/tenants.hpp"

namespace ct::cluster {

// A whole GPU in milli-GPU; openb jobs below this share one GPU with others.
inline constexpr int kWholeGpuMilli = 1000;

struct Job {
  std::string name;
  int tenant = 0;
  std::string owner;                        // trace jobs: virtual cluster, else user; empty if none
  double submit_s = 0;
  int gpus = 1;
  int gpu_milli = kWholeGpuMilli;           // < 1000 only with gpus == 1 (a shared GPU)
  std::vector<std::string> gpu_types;       // allowed GPU types; empty = any
  std::string system;                       // the system its run time was simulated on; empty = any
  double duration_s = 0;                    // compute time on its GPUs, no interruptions or checkpoints
  double checkpoint_interval_s = 0;         // compute between checkpoints; 0 = never: a restart starts over
  double checkpoint_write_s = 0;            // wall time of one checkpoint write (GPUs held, no progress)
  DataClass data_class = DataClass::unrestricted;
  bool single_domain_required = false;      // must sit in one NVLink domain (else only preferred)
  double recorded_queue_delay_s = -1;       // from a trace (scheduled - created); -1 = unknown

  double gpu_share() const { return static_cast<double>(gpus) * gpu_milli / kWholeGpuMilli; }  // GPUs held; < 1 when shared
  double gpu_seconds() const { return duration_s * gpu_share(); }
  // Checkpoints written during an uninterrupted run: one after each full interval of compute
  // that does not end the job.
  int checkpoint_writes() const {
    return checkpoint_interval_s > 0 && duration_s > 0 ? static_cast<int>(std::ceil(duration_s / checkpoint_interval_s)) - 1 : 0;
  }
  // An uninterrupted run's wall time: compute plus its checkpoint writes.
  double run_time_s() const { return duration_s + checkpoint_writes() * checkpoint_write_s; }
};

struct Workload {
  std::vector<Job> jobs;                    // sorted by submit time
  std::vector<std::string> warnings;        // malformed lines and skipped jobs, with line numbers
  int skipped = 0;
};

}  // namespace ct::cluster
