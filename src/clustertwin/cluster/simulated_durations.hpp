#pragma once
// Run times of generated training jobs from the training step simulator (`durations=simulated`
// of the llm-mix generator): the planner picks the fastest layout of the job's model on its
// system and GPU count (a small search, below), and plan/run_projection turns the step time into
// the job's compute time, checkpoint write time and Young/Daly checkpoint interval. One plan per
// distinct (model, system, GPUs, tokens, sequence, batch), cached: a million jobs need a few dozen.
#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "clustertwin/config/catalogs.hpp"
#include "clustertwin/parallel/layout.hpp"
#include "clustertwin/plan/run_projection.hpp"

namespace ct::cluster {

// What a training job trains: from data/cluster/llm-mix.yaml (`training:` of a job kind).
struct TrainingSpec {
  std::string model;           // data/models/<model>.json
  double tokens = 0;           // trained by one job
  std::int64_t seq_len = 4096; // tokens per sequence
  int global_batch = 0;        // sequences per step
};

struct SimulatedRun {
  double step_time_s = 0;
  double tokens_per_step = 0;
  double compute_s = 0;               // ceil(tokens / tokens per step) x step time
  double checkpoint_write_s = 0;      // params x bytes per param / (storage write per node x nodes)
  double checkpoint_interval_s = 0;   // Young/Daly; 0 when the failure rate is 0
  ParallelLayout layout;              // the planner's winner
};

class TrainingRunCache {
 public:
  // `reliability.failures_per_gpu_hour` is the fleet's failure rate (it sets each job's MTBF).
  TrainingRunCache(const Catalogs& catalogs, Reliability reliability, std::string profile = "megatron-core");
  // Throws InputError naming `where` if no layout of the model fits.
  const SimulatedRun& get(const TrainingSpec& t, const std::string& system, int gpus, const std::string& where);
  int plans() const { return static_cast<int>(runs_.size()); }

 private:
  const Catalogs& cat_;
  Reliability rel_;
  std::string profile_;
  std::map<std::tuple<std::string, std::string, int, double, std::int64_t, int>, SimulatedRun> runs_;
};

}  // namespace ct::cluster
