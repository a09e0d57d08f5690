// Data residency as a hard invariant: a jp_restricted job never runs, restarts or checkpoints
// outside jurisdiction JP, whatever the policy, preemptions, failures or spill-over. The check
// inside the simulator throws std::logic_error; these tests try hard to make a policy trip it.
#include <gtest/gtest.h>

#include <random>

#include "clustertwin/cluster/metrics.hpp"
#include "clustertwin/cluster/random.hpp"
#include "clustertwin/cluster/simulator.hpp"
#include "clustertwin/core/paths.hpp"
#include "test_cluster_helpers.hpp"

using namespace ct;
using namespace ct::cluster;
using namespace ct::cluster::testing;

namespace {

constexpr Policy kPolicies[] = {Policy::fifo,           Policy::backfill, Policy::fairshare,
                                Policy::quota_priority, Policy::kueue,    Policy::slurm_multifactor};

const MultifactorConfig& shipped_multifactor() {
  static const MultifactorConfig c = load_multifactor_config(data_dir() + "/cluster/slurm-multifactor.yaml");
  return c;
}

// A harsh failure model: one interruption per GPU every ~50 h (about 1,000x the Llama 3 rate),
// half of them taking a whole NVLink domain down, 30 min repairs.
FailureModel harsh_failures() {
  return FailureModel{"harsh", 0.02, {{"node", 0.5, BlastRadius::node}, {"domain", 0.5, BlastRadius::domain}}, 1800};
}

Fleet random_fleet(std::mt19937_64& rng) {
  Fleet f;
  const int sites = 1 + static_cast<int>(rng() % 3);
  for (int s = 0; s < sites; ++s) {
    // Bias towards small JP capacity next to big foreign capacity: spill-over is tempting.
    const bool jp = s == 0 || rng() % 2 == 0;
    f.sites.push_back(test_site("site" + std::to_string(s), jp ? "JP" : "US"));
    const int pools = 1 + static_cast<int>(rng() % 2);
    for (int p = 0; p < pools; ++p) {
      if (rng() % 2 == 0) add_pool(f, s, test_system("nvl72", 4, 72), 1 + static_cast<int>(rng() % 2));
      else add_pool(f, s, test_system("dgx", 8, 8), (jp ? 1 : 4) + static_cast<int>(rng() % 6));
    }
  }
  return f;
}

// Quotas of 0-24 GPUs for internal and partner; under kueue all four are ClusterQueues of one
// cohort (general and spot with quota too, which the other policies ignore), with random
// borrowing and lending limits: borrowing across sites is where residency could slip.
Tenants random_tenants(std::mt19937_64& rng) {
  Tenants t = tenants_of({{Tier::internal, 8 * static_cast<int>(rng() % 4)},
                          {Tier::partner, 8 * static_cast<int>(rng() % 3)},
                          {Tier::general, 32 + 8 * static_cast<int>(rng() % 8)},
                          {Tier::spot, 8 * static_cast<int>(rng() % 4)}});
  for (Tenant& x : t.list) {
    x.cohort = rng() % 4 == 0 ? "" : "all";
    if (rng() % 2 == 0) x.borrowing_limit_gpus = 8 * static_cast<int>(rng() % 8);
    if (rng() % 2 == 0) x.lending_limit_gpus = x.quota_gpus / 2;
  }
  return t;
}

std::vector<Job> random_jobs(std::mt19937_64& rng, int n, const Fleet& f) {
  std::vector<Job> jobs;
  const std::vector<std::string> types = {"", "nvl72-gpu", "dgx-gpu"};
  double t = 0;
  for (int i = 0; i < n; ++i) {
    t += std::round(exponential(rng, 1.0 / 30));
    const int gpus = 1 << (rng() % 7);  // 1..64
    Job j = make_job(std::to_string(i), static_cast<int>(rng() % 4), t, gpus, 60 + static_cast<double>(rng() % 3000),
                     rng() % 2 ? 120.0 : 0.0, kAllDataClasses[rng() % 3]);
    const std::string& type = types[rng() % types.size()];
    if (!type.empty()) j.gpu_types = {type};
    j.single_domain_required = rng() % 4 == 0;
    jobs.push_back(j);
  }
  (void)f;
  return jobs;
}

}  // namespace

// 60 random fleets x 6 policies x 300 jobs with harsh failures: no placement outside JP for a
// jp_restricted job (the simulator would throw), and the outcome agrees.
TEST(ClusterResidency, PropertyNoViolationOverRandomFleetsJobsPoliciesAndFailures) {
  std::mt19937_64 rng(2024);
  long long checks = 0, restricted_ran = 0, preemptions = 0, failures = 0;
  for (int trial = 0; trial < 60; ++trial) {
    const Fleet f = random_fleet(rng);
    const Tenants t = random_tenants(rng);
    const std::vector<Job> jobs = random_jobs(rng, 300, f);
    for (Policy p : kPolicies) {
      SimOptions o;
      o.policy = p;
      o.failures = harsh_failures();
      o.seed = trial;
      o.multifactor = shipped_multifactor();
      SimResult r;
      ASSERT_NO_THROW(r = simulate(f, t, jobs, o)) << "trial " << trial << " policy " << policy_name(p);
      checks += r.residency_checks;
      for (std::size_t j = 0; j < jobs.size(); ++j) {
        preemptions += r.jobs[j].preemptions;
        failures += r.jobs[j].failures;
        if (jobs[j].data_class != DataClass::jp_restricted || r.jobs[j].site < 0) continue;
        ++restricted_ran;
        ASSERT_TRUE(f.sites[r.jobs[j].site].in_japan()) << jobs[j].name;
      }
    }
  }
  // The test must actually exercise the dangerous paths.
  EXPECT_GT(restricted_ran, 1000);
  EXPECT_GT(preemptions, 100);
  EXPECT_GT(failures, 100);
  EXPECT_GT(checks, 10000);
}

// With the residency filter removed from placement (test hook), the independent check fires.
TEST(ClusterResidency, TheInvariantCheckItselfFires) {
  Fleet f;
  f.sites.push_back(test_site("abroad", "US"));
  add_pool(f, 0, test_system("dgx", 8, 8), 1);
  const Tenants t = tenants_of({{Tier::general, 0}});
  const std::vector<Job> jobs = {make_job("secret", 0, 0, 8, 10, 0, DataClass::jp_restricted)};
  SimOptions o;
  o.test_only_drop_residency_filter = true;
  EXPECT_THROW(simulate(f, t, jobs, o), std::logic_error);
  o.test_only_drop_residency_filter = false;
  const SimResult r = simulate(f, t, jobs, o);
  EXPECT_NE(r.jobs[0].rejected.find("jurisdiction JP"), std::string::npos) << r.jobs[0].rejected;
}

// JP is full and the foreign site idle: jp_restricted waits, jp_preferred and unrestricted spill.
TEST(ClusterResidency, RestrictedWaitsWhilePreferredSpillsOver) {
  Fleet f;
  f.sites.push_back(test_site("jp", "JP"));
  f.sites.push_back(test_site("us", "US"));
  add_pool(f, 0, test_system("dgx", 8, 8), 1);
  add_pool(f, 1, test_system("dgx", 8, 8), 2);
  const Tenants t = tenants_of({{Tier::general, 0}});
  const std::vector<Job> jobs = {make_job("fill", 0, 0, 8, 100, 0, DataClass::jp_restricted),
                                 make_job("r", 0, 1, 8, 10, 0, DataClass::jp_restricted),
                                 make_job("p", 0, 2, 8, 10, 0, DataClass::jp_preferred),
                                 make_job("u", 0, 3, 8, 10, 0, DataClass::unrestricted)};
  SimOptions o;
  o.policy = Policy::backfill;
  const SimResult r = simulate(f, t, jobs, o);
  EXPECT_EQ(r.jobs[1].first_start_s, 100);
  EXPECT_EQ(r.jobs[1].site, 0);
  EXPECT_EQ(r.jobs[2].first_start_s, 2);
  EXPECT_EQ(r.jobs[2].site, 1);
  EXPECT_EQ(r.jobs[3].first_start_s, 3);
}

TEST(ClusterDeterminism, SameInputsAndSeedGiveByteIdenticalReports) {
  std::mt19937_64 rng(5);
  const Fleet f = random_fleet(rng);
  const Tenants t = random_tenants(rng);
  const std::vector<Job> jobs = random_jobs(rng, 500, f);
  SimOptions o;
  o.policy = Policy::quota_priority;
  o.failures = harsh_failures();
  o.seed = 11;
  const std::string a = report_to_json(summarize(f, t, jobs, simulate(f, t, jobs, o), "quota-priority", "harsh")).dump(2);
  const std::string b = report_to_json(summarize(f, t, jobs, simulate(f, t, jobs, o), "quota-priority", "harsh")).dump(2);
  EXPECT_EQ(a, b);
  o.seed = 12;
  const std::string c = report_to_json(summarize(f, t, jobs, simulate(f, t, jobs, o), "quota-priority", "harsh")).dump(2);
  EXPECT_NE(a, c);  // the failure seed matters
}

// Failure accounting: every job completes; lost work never exceeds held work; with a 60 s
// checkpoint interval a failure loses less than one interval of each job's GPUs.
TEST(ClusterFailures, RestartFromCheckpointBoundsTheLoss) {
  const Fleet f = dgx_fleet(4);
  const Tenants t = tenants_of({{Tier::general, 0}});
  std::vector<Job> jobs;
  for (int i = 0; i < 40; ++i) jobs.push_back(make_job(std::to_string(i), 0, i * 50.0, 8, 3000, 60));
  SimOptions o;
  o.policy = Policy::backfill;
  o.failures = FailureModel{"hi", 0.05, {{"node", 1, BlastRadius::node}}, 600};
  const SimResult r = simulate(f, t, jobs, o);
  EXPECT_GT(r.node_failures, 0);
  int failures = 0;
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    const JobOutcome& x = r.jobs[j];
    ASSERT_TRUE(x.completed());
    failures += x.failures;
    EXPECT_LE(x.lost_gpu_s, x.failures * 60.0 * 8 + 1e-9);
    // Held = useful + lost, exactly.
    EXPECT_NEAR(x.run_gpu_s, jobs[j].gpu_seconds() + x.lost_gpu_s, 1e-6);
  }
  EXPECT_GT(failures, 0);
}
