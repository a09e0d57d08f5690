#pragma once
// The event-driven fleet scheduler: jobs arrive, wait, are placed as gangs, run, finish, fail
// or are preempted and restart from their last checkpoint. Data residency is a hard invariant:
// every placement and every restart is checked, and a violation throws std::logic_error.
//
// Policies (all gang, topology-aware; the order in which waiting jobs are considered differs):
//   fifo            submit order; the first job that does not fit blocks all behind it
//   backfill        submit order with EASY backfill: the blocked head gets a reservation at the
//                   earliest time enough GPUs free up (known run times); later jobs may start
//                   now if they end before it or leave its GPUs alone
//   fairshare       tenant with the fewest GPUs held per fair-share weight first, then submit
//                   order; EASY backfill behind a blocked head
//   quota-priority  classes: internal within quota, partners within quota, everyone else
//                   (general, borrowed capacity; fair share among them), spot; a job within
//                   quota that does not fit preempts general/borrowed and spot jobs, a general
//                   job preempts spot jobs; EASY backfill behind a blocked head
//   kueue           each tenant a Kueue ClusterQueue (kueue_quota.hpp): admitted within its
//                   nominal quota, or borrowing from its cohort up to the borrowing and lending
//                   limits; BestEffortFIFO (a job that cannot be admitted or placed does not
//                   block the next); a job within nominal quota reclaims by preempting jobs of
//                   other queues of its cohort that run on borrowed quota (reclaimWithinCohort)
//   slurm-multifactor  Slurm's multifactor priority (slurm_priority.hpp) with EASY backfill and
//                   QOS preemption (a tier is a QOS). Within one tenant the queue is kept in the
//                   order of priority before the age factor saturates (jobs older than
//                   PriorityMaxAge keep that order); across tenants the exact priority decides
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "clustertwin/cluster/failures.hpp"
#include "clustertwin/cluster/fleet.hpp"
#include "clustertwin/cluster/job.hpp"
#include "clustertwin/cluster/slurm_priority.hpp"
#include "clustertwin/cluster/tenants.hpp"

namespace ct::cluster {

enum class Policy { fifo, backfill, fairshare, quota_priority, kueue, slurm_multifactor };
inline constexpr const char* kPolicyNames = "fifo, backfill, fairshare, quota-priority, kueue, slurm-multifactor";
const char* policy_name(Policy p);
Policy parse_policy(const std::string& s);  // throws InputError

struct SimOptions {
  Policy policy = Policy::fifo;
  FailureModel failures{"none", 0, {{"none", 1, BlastRadius::node}}, 0};
  std::uint64_t seed = 1;
  MultifactorConfig multifactor;
  // Restart overhead after a failure or preemption (detect, reschedule, load the checkpoint, warm
  // up), run on the job's GPUs before its work resumes; counted as lost GPU-time.
  double restart_s = 0;  // slurm-multifactor only (data/cluster/slurm-multifactor.yaml)
  // Jobs examined behind a blocked head per scheduling pass (Slurm's bf_max_job_test plays the
  // same role); bounds the cost of a pass on a long queue.
  int backfill_depth = 100;
  // Progress of a long replay: job events so far (each job arrives, then ends) of 2 per job.
  std::function<void(int done, int total)> progress;
  // Test hook only: drop the residency filter from placement so that the invariant check itself
  // can be shown to fire. Never set outside tests.
  bool test_only_drop_residency_filter = false;
};

struct JobOutcome {
  double first_start_s = -1;
  double finish_s = -1;
  int preemptions = 0;
  int failures = 0;
  double run_gpu_s = 0;   // GPU-seconds held while running, lost work included
  double lost_gpu_s = 0;  // GPU-seconds of work redone after failures and preemptions
  int site = -1;          // where it last ran
  std::string rejected;   // non-empty: never run, and why

  bool completed() const { return finish_s >= 0; }
  double queue_delay_s(double submit_s) const { return first_start_s - submit_s; }
};

struct SimResult {
  std::vector<JobOutcome> jobs;            // indexed like the input jobs
  std::vector<double> pool_busy_gpu_s;     // per pool
  // GPU-seconds held per time bin [origin + k x bin, origin + (k+1) x bin) and tier (kAllTiers
  // order); origin = the first submit time.
  double timeline_origin_s = 0;
  static constexpr double kTimelineBinS = 3600;
  std::vector<std::array<double, kAllTiers.size()>> busy_gpu_s_by_bin_and_tier;
  double makespan_s = 0;                   // last completion
  long long events = 0;
  long long placements = 0;
  long long residency_checks = 0;
  long long node_failures = 0;
  std::vector<std::string> warnings;
  std::string stopped;  // non-empty: the run was ended early (no progress, or the time cap), and why
};

// `jobs` must be sorted by submit_s (job sources return them so).
SimResult simulate(const Fleet& fleet, const Tenants& tenants, const std::vector<Job>& jobs, const SimOptions& options);

}  // namespace ct::cluster
