// The kueue and slurm-multifactor policies on cases worked out by hand: a borrowing limit caps
// a queue's usage, a lending limit keeps capacity for its owner, a queue within its nominal
// quota reclaims borrowed capacity, multifactor priorities order the queue, QOS preemption.
#include <gtest/gtest.h>

#include <cmath>

#include "clustertwin/cluster/kueue_quota.hpp"
#include "clustertwin/cluster/simulator.hpp"
#include "clustertwin/cluster/slurm_priority.hpp"
#include "clustertwin/core/paths.hpp"
#include "test_cluster_helpers.hpp"

using namespace ct;
using namespace ct::cluster;
using namespace ct::cluster::testing;

namespace {

const std::string kCohort = "shared";

// Two ClusterQueues "a" and "b" of one cohort with the given nominal quotas and limits.
Tenants cohort_of_two(int quota_a, int quota_b, int borrowing_limit_a = kNoLimit, int lending_limit_a = kNoLimit) {
  Tenants t = tenants_of({{Tier::general, quota_a}, {Tier::general, quota_b}});
  for (Tenant& x : t.list) x.cohort = kCohort;
  t.list[0].borrowing_limit_gpus = borrowing_limit_a;
  t.list[0].lending_limit_gpus = lending_limit_a;
  return t;
}

SimResult run_kueue(const Fleet& f, const Tenants& t, const std::vector<Job>& jobs) {
  SimOptions o;
  o.policy = Policy::kueue;
  return simulate(f, t, jobs, o);
}

std::vector<Job> four_jobs_of_8_gpus(int tenant, double submit_s = 0) {
  std::vector<Job> jobs;
  for (int i = 0; i < 4; ++i) jobs.push_back(make_job(std::to_string(i), tenant, submit_s, 8, 100));
  return jobs;
}

}  // namespace

TEST(ClusterKueue, LedgerArithmetic) {
  // a: nominal 16, lends at most 8 (keeps 8); b: nominal 16, borrows at most 4. Pool = 8 + 16.
  Tenants t = cohort_of_two(16, 16, kNoLimit, 8);
  t.list[1].borrowing_limit_gpus = 4;
  KueueLedger q(t);
  EXPECT_EQ(q.max_usage(0), 8 + 24);
  EXPECT_EQ(q.max_usage(1), 20);
  EXPECT_TRUE(q.admits(1, 20));
  EXPECT_FALSE(q.admits(1, 21));  // borrowing limit
  q.add(1, 20);                   // b uses 16 of its own + 4 of a's lendable 8
  EXPECT_TRUE(q.borrowing(1));
  EXPECT_TRUE(q.admits(0, 12));   // a: its 8 guaranteed + the 4 the pool still has
  EXPECT_FALSE(q.admits(0, 13));
  q.add(1, -20);
  EXPECT_TRUE(q.admits(0, 32));
}

// 4 DGX nodes (32 GPUs). Queue a (nominal 8) submits four 8-GPU jobs; b (nominal 24) is idle.
// Without a limit a borrows 24 and all four start at 0; with borrowingLimit 8 it holds at most 16:
// two start at 0 and two at 100, while 16 GPUs stay idle.
TEST(ClusterKueue, BorrowingLimitCapsUsage) {
  const Fleet f = dgx_fleet(4);
  const SimResult unlimited = run_kueue(f, cohort_of_two(8, 24), four_jobs_of_8_gpus(0));
  for (const JobOutcome& o : unlimited.jobs) EXPECT_EQ(o.first_start_s, 0);
  const SimResult capped = run_kueue(f, cohort_of_two(8, 24, 8), four_jobs_of_8_gpus(0));
  EXPECT_EQ(capped.jobs[0].first_start_s, 0);
  EXPECT_EQ(capped.jobs[1].first_start_s, 0);
  EXPECT_EQ(capped.jobs[2].first_start_s, 100);
  EXPECT_EQ(capped.jobs[3].first_start_s, 100);
}

// 4 DGX nodes. a (nominal 16, lendingLimit 8) is idle at first; b (nominal 16) submits four
// 8-GPU jobs: it may use its 16 plus 8 lent by a, so three start at 0 and one at 100. a's 8-GPU
// job at t=1 starts at once on the capacity the lending limit kept, with nothing preempted.
TEST(ClusterKueue, LendingLimitKeepsCapacityForItsOwner) {
  const Fleet f = dgx_fleet(4);
  std::vector<Job> jobs = four_jobs_of_8_gpus(1);
  jobs.push_back(make_job("a-job", 0, 1, 8, 50));
  const SimResult r = run_kueue(f, cohort_of_two(16, 16, kNoLimit, 8), jobs);
  EXPECT_EQ(r.jobs[0].first_start_s, 0);
  EXPECT_EQ(r.jobs[1].first_start_s, 0);
  EXPECT_EQ(r.jobs[2].first_start_s, 0);
  EXPECT_EQ(r.jobs[3].first_start_s, 100);
  EXPECT_EQ(r.jobs[4].first_start_s, 1);
  for (const JobOutcome& o : r.jobs) EXPECT_EQ(o.preemptions, 0);
}

// 4 DGX nodes. a (nominal 16) idle, b (nominal 16) borrows all 32 GPUs at 0. a's 16-GPU job at
// t=10 is within its nominal quota: it reclaims by preempting two of b's jobs (the borrowed ones)
// and starts at 10.
TEST(ClusterKueue, QueueWithinNominalQuotaReclaimsBorrowedCapacity) {
  const Fleet f = dgx_fleet(4);
  std::vector<Job> jobs = four_jobs_of_8_gpus(1);
  jobs.push_back(make_job("a-job", 0, 10, 16, 50));
  const SimResult r = run_kueue(f, cohort_of_two(16, 16), jobs);
  EXPECT_EQ(r.jobs[4].first_start_s, 10);
  int preempted = 0;
  for (int i = 0; i < 4; ++i) preempted += r.jobs[i].preemptions;
  EXPECT_EQ(preempted, 2);
}

// A queue with no nominal quota and no cohort can never admit anything: each job is rejected
// with the reason, and the other queue's jobs run.
TEST(ClusterKueue, QueueWithNoQuotaAnywhereIsRejectedClearly) {
  const Fleet f = dgx_fleet(1);
  Tenants t = tenants_of({{Tier::general, 0}, {Tier::general, 8}});
  const std::vector<Job> jobs = {make_job("x", 0, 0, 8, 10), make_job("y", 1, 0, 8, 10)};
  const SimResult r = run_kueue(f, t, jobs);
  EXPECT_NE(r.jobs[0].rejected.find("tenant 'general0' can never hold 8 GPUs under kueue (nominal quota 0"), std::string::npos)
      << r.jobs[0].rejected;
  EXPECT_EQ(r.jobs[1].first_start_s, 0);
}

// ------------------------------------------------------------------------ slurm-multifactor

namespace {

MultifactorConfig hand_config() {
  MultifactorConfig c;
  c.weight_age = 1000, c.weight_fairshare = 0, c.weight_job_size = 1000, c.weight_qos = 10000;
  c.max_age_s = 1000, c.decay_half_life_s = 1000;
  c.qos_by_tier[static_cast<int>(Tier::internal)].priority = 1000;
  c.qos_by_tier[static_cast<int>(Tier::partner)].priority = 500;
  c.qos_by_tier[static_cast<int>(Tier::general)].priority = 100;
  c.qos_by_tier[static_cast<int>(Tier::spot)].priority = 0;
  return c;
}

}  // namespace

TEST(ClusterMultifactor, FactorsByHand) {
  EXPECT_DOUBLE_EQ(age_factor(500, 1000), 0.5);
  EXPECT_DOUBLE_EQ(age_factor(5000, 1000), 1.0);  // capped at PriorityMaxAge
  EXPECT_DOUBLE_EQ(classic_fairshare_factor(0.0, 0.25), 1.0);
  EXPECT_DOUBLE_EQ(classic_fairshare_factor(0.25, 0.25), 0.5);  // used exactly its share
  EXPECT_DOUBLE_EQ(classic_fairshare_factor(0.5, 0.25), 0.25);
  const MultifactorConfig c = hand_config();
  EXPECT_DOUBLE_EQ(c.qos_factor(Tier::general), 0.1);
  EXPECT_DOUBLE_EQ(multifactor_priority(c, 0.1, 0, 1.0, 1.0), 100 + 1000 + 10000);
  // 8 GPUs for 1000 s (one half-life): 8 x 1000 / ln 2 x (1 - 1/2) GPU-seconds, then halved again.
  DecayedUsage u;
  u.gpus = 8;
  u.advance_to(1000, 1000);
  EXPECT_NEAR(u.gpu_s, 8 * 1000 / std::log(2.0) * 0.5, 1e-6);
  u.gpus = 0;
  u.advance_to(2000, 1000);
  EXPECT_NEAR(u.gpu_s, 8 * 1000 / std::log(2.0) * 0.25, 1e-6);
}

// Two DGX nodes (16 GPUs); a 16-GPU blocker runs 0-1000. Waiting then (priority at t = 1000,
// weights age 1000 / size 1000 / QOS 10000, PriorityMaxAge 1000 s, QOS general 0.1, internal 1,
// spot 0):
//   c spot,     t=0,   16 GPUs: 1000 x 1.0 + 1000 x 1.0 + 0       = 2000
//   a general,  t=100, 16 GPUs: 1000 x 0.9 + 1000 x 1.0 + 1000    = 2900
//   d general,  t=400,  8 GPUs: 1000 x 0.6 + 1000 x 0.5 + 1000    = 2100
//   b internal, t=900, 16 GPUs: 1000 x 0.1 + 1000 x 1.0 + 10000   = 11100
// b runs 1000-1100; at 1100 a = 3000 > d = 2200 > c = 2000: a 1100-1200, d 1200-1300 (c needs
// all 16 and waits behind it), c 1300. FIFO would run c, a, d, b.
TEST(ClusterMultifactor, QueueOrderByHandCalculation) {
  const Fleet f = dgx_fleet(2);
  const Tenants t = tenants_of({{Tier::general, 0}, {Tier::internal, 0}, {Tier::spot, 0}});
  const std::vector<Job> jobs = {make_job("blocker", 0, 0, 16, 1000), make_job("c", 2, 0, 16, 100), make_job("a", 0, 100, 16, 100),
                                 make_job("d", 0, 400, 8, 100), make_job("b", 1, 900, 16, 100)};
  SimOptions o;
  o.policy = Policy::slurm_multifactor;
  o.multifactor = hand_config();
  const SimResult r = simulate(f, t, jobs, o);
  EXPECT_EQ(r.jobs[4].first_start_s, 1000);  // b
  EXPECT_EQ(r.jobs[2].first_start_s, 1100);  // a
  EXPECT_EQ(r.jobs[3].first_start_s, 1200);  // d
  EXPECT_EQ(r.jobs[1].first_start_s, 1300);  // c
}

// One DGX node. A spot job holds it from 0; an internal job at t=10 preempts it (the internal
// QOS lists spot in its Preempt list) and starts at 10; without the list entry it waits.
TEST(ClusterMultifactor, QosPreemption) {
  const Fleet f = dgx_fleet(1);
  const Tenants t = tenants_of({{Tier::spot, 0}, {Tier::internal, 0}});
  const std::vector<Job> jobs = {make_job("spot", 0, 0, 8, 1000, 100), make_job("urgent", 1, 10, 8, 50)};
  SimOptions o;
  o.policy = Policy::slurm_multifactor;
  o.multifactor = hand_config();
  o.multifactor.qos_by_tier[static_cast<int>(Tier::internal)].preempts = {Tier::spot};
  SimResult r = simulate(f, t, jobs, o);
  EXPECT_EQ(r.jobs[1].first_start_s, 10);
  EXPECT_EQ(r.jobs[0].preemptions, 1);
  o.multifactor.qos_by_tier[static_cast<int>(Tier::internal)].preempts = {};
  r = simulate(f, t, jobs, o);
  EXPECT_EQ(r.jobs[1].first_start_s, 1000);
}

TEST(ClusterMultifactor, ShippedConfigLoadsWithItsSources) {
  const MultifactorConfig c = load_multifactor_config(data_dir() + "/cluster/slurm-multifactor.yaml");
  EXPECT_EQ(c.weight_fairshare, 10000);
  EXPECT_TRUE(c.qos_preempts(Tier::internal, Tier::spot));
  EXPECT_FALSE(c.qos_preempts(Tier::spot, Tier::internal));
}

// ------------------------------------------------------------------- restarts and timelines

// One DGX node. A spot job (100 s of work, checkpoint every 10 s) is preempted at t=37 by an
// internal job of 10 s: 30 s are saved, 7 s lost; it restarts at 47 with a 5 s restart overhead
// and 70 s of work: it ends at 122, having lost 7 + 5 s on 8 GPUs.
TEST(ClusterRestart, RestartOverheadAndLostWorkByHand) {
  const Fleet f = dgx_fleet(1);
  const Tenants t = tenants_of({{Tier::spot, 0}, {Tier::internal, 8}});
  const std::vector<Job> jobs = {make_job("spot", 0, 0, 8, 100, 10), make_job("urgent", 1, 37, 8, 10)};
  SimOptions o;
  o.policy = Policy::quota_priority;
  o.restart_s = 5;
  const SimResult r = simulate(f, t, jobs, o);
  EXPECT_EQ(r.jobs[0].preemptions, 1);
  EXPECT_EQ(r.jobs[0].finish_s, 122);
  EXPECT_DOUBLE_EQ(r.jobs[0].lost_gpu_s, (7 + 5) * 8);
  EXPECT_DOUBLE_EQ(r.jobs[0].run_gpu_s, 100 * 8 + (7 + 5) * 8);
}

// One job on all 8 GPUs for 1.5 h: the internal tier holds the whole fleet in hour 0, half of
// it in hour 1 (timeline bins are hours from the first submission).
TEST(ClusterTimeline, UtilisationPerTierPerHour) {
  const Fleet f = dgx_fleet(1);
  const Tenants t = tenants_of({{Tier::internal, 8}});
  const std::vector<Job> jobs = {make_job("a", 0, 100, 8, 5400)};
  const SimResult r = simulate(f, t, jobs, SimOptions{});
  ASSERT_EQ(r.busy_gpu_s_by_bin_and_tier.size(), 2u);
  EXPECT_DOUBLE_EQ(r.busy_gpu_s_by_bin_and_tier[0][0], 3600 * 8);
  EXPECT_DOUBLE_EQ(r.busy_gpu_s_by_bin_and_tier[1][0], 1800 * 8);
}
