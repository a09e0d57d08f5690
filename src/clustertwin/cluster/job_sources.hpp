#pragma once
// Where jobs come from: the openb pod list (Alibaba GPU trace v2023) and the `llm-mix` generator.
// The other published trace formats (Philly, Helios, Acme, PAI-2020) are in trace_readers.hpp.
#include <cstdint>
#include <string>
#include <vector>

#include "clustertwin/cluster/job.hpp"
#include "clustertwin/cluster/simulated_durations.hpp"

namespace ct::cluster {

// A job as a trace records it: times in seconds on the trace's own clock.
struct RecordedJob {
  std::string name;
  std::string owner;  // virtual cluster, else user; empty when the format records neither
  double submit_s = 0, start_s = 0, end_s = 0;
  int gpus = 1;
  int gpu_milli = kWholeGpuMilli;
  std::vector<std::string> gpu_types;
};

// What one trace record turned out to be.
enum class RecordKind { job, skipped, malformed };

// Collects the jobs of one trace file: good ones, skipped ones (ran no GPU work) and malformed
// lines, each reported with its line number; finish() sorts by submit time (ties keep file order).
class TraceCollector {
 public:
  // The names of the format's submit, start and end fields, and what one record is ("jobs").
  struct Names {
    std::string submit, start, end, records = "jobs";
  };
  TraceCollector(std::string source, int tenant, Names names)
      : source_(std::move(source)), tenant_(tenant), names_(std::move(names)) {}
  // Checks the times (start >= submit, end >= start) and adds the job, or reports the line.
  void add(const RecordedJob& r, int line);
  void skip() { ++skipped_; }
  void malformed(int line, const std::string& why);
  // One parsed record: added as a job, counted as skipped, or reported as malformed with `why`.
  void take(RecordKind kind, const RecordedJob& r, int line, const std::string& why);
  void add_warning(const std::string& line_skipped) { w_.warnings.push_back(line_skipped), ++w_.skipped; }
  Workload finish(const std::string& what_skipped_means);

 private:
  std::string source_;
  int tenant_;
  Names names_;
  Workload w_;
  int skipped_ = 0;
};

// openb_pod_list_*.csv: name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,
// creation_time,deletion_time,scheduled_time. Every GPU pod that ran (scheduled_time present)
// becomes a job of `tenant` submitted at creation_time and running deletion - scheduled seconds;
// CPU-only and never-scheduled pods are counted in `skipped`; a malformed line is reported with
// its number in `warnings` and skipped.
Workload read_openb_pods(const std::string& path, int tenant);
Workload parse_openb_pods(const std::string& text, const std::string& source, int tenant);

// One kind of LLM-era job (data/cluster/llm-mix.yaml).
struct JobKind {
  std::string id;
  double share = 0;
  std::vector<int> gpu_choices;
  double duration_median_s = 0, duration_sigma = 0, duration_min_s = 0, duration_max_s = 0;
  double checkpoint_interval_s = 0;
  bool single_domain_required = false;
  bool trains = false;  // has a `training:` block: its duration can come from the step simulator
  TrainingSpec training;
};
std::vector<JobKind> load_job_kinds(const std::string& path);

struct GeneratorSpec {
  std::string mix = "llm-mix";
  int jobs = 1000;
  std::uint64_t seed = 1;
  double offered_load = 0.9;  // submitted GPU-seconds per second / fleet GPUs
  bool simulated_durations = false;  // durations=simulated: training jobs' run time from the step simulator
};
// "generate:llm-mix,jobs=N,seed=S[,load=L][,durations=lognormal|simulated]".
GeneratorSpec parse_generator_spec(const std::string& spec);
bool is_generator_spec(const std::string& jobs_arg);

// A pool a simulated training job may be pinned to.
struct PoolOffer {
  std::string system;
  int gpus = 0;
  bool in_japan = false;
};
// What durations=simulated needs: the step-time cache and the fleet's pools.
struct DurationSource {
  TrainingRunCache* cache = nullptr;
  std::vector<PoolOffer> pools;
  std::string source;  // the mix file, for errors
};

// Generates spec.jobs jobs with Poisson arrivals at the rate that offers `offered_load` of
// `fleet_gpus`: the rate is set after the jobs are drawn, from their mean GPU-seconds as
// generated (simulated durations and checkpoint writes included: an uninterrupted run's wall time
// x GPUs; failure losses are not offered). Tenants by submit_share, data classes by each tenant's
// shares. GPU counts above `max_job_gpus` (the largest pool) are not drawn. With `simulated`
// (durations=simulated), a job of a kind with `training:` is pinned to the system of the pool
// that would then be offered the smallest share of its GPUs (among the pools that can hold it, JP
// pools only for jp_restricted; unpinned jobs count on the pools that can hold them in proportion
// to their GPUs), so each pool is offered `offered_load` of its own GPUs, and takes its compute
// time, checkpoint write time and Young/Daly interval from `simulated->cache`.
Workload generate_jobs(const GeneratorSpec& spec, const std::vector<JobKind>& kinds, const Tenants& tenants,
                       int fleet_gpus, int max_job_gpus, const DurationSource* simulated = nullptr);

}  // namespace ct::cluster
