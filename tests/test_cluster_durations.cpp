// Generated training jobs timed by the step simulator (durations=simulated), checkpoint cost at
// the Young/Daly interval, and trace owners mapped to tenants.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "clustertwin/cluster/failures.hpp"
#include "clustertwin/cluster/job_sources.hpp"
#include "clustertwin/cluster/metrics.hpp"
#include "clustertwin/cluster/scenario.hpp"
#include "clustertwin/cluster/simulator.hpp"
#include "clustertwin/config/catalogs.hpp"
#include "clustertwin/core/error.hpp"
#include "clustertwin/core/paths.hpp"
#include "clustertwin/model/params.hpp"
#include "clustertwin/train/step_simulator.hpp"
#include "test_cluster_helpers.hpp"

using namespace ct;
using namespace ct::cluster;
using namespace ct::cluster::testing;

namespace {

// One pretraining kind on 16 GPUs: Llama 3.1 8B, 1,000 steps of 256 x 4,096 tokens.
JobKind pretraining_kind() {
  JobKind k;
  k.id = "pretraining";
  k.share = 1;
  k.gpu_choices = {16};
  k.duration_median_s = 3600, k.duration_sigma = 0, k.duration_min_s = 1, k.duration_max_s = 1e7;
  k.checkpoint_interval_s = 1800;
  k.trains = true;
  k.training = {"llama3.1-8b", 1000.0 * 256 * 4096, 4096, 256};
  return k;
}

}  // namespace

// duration = tokens / (global batch x seq) x the step time of a direct simulate_training_step on
// the layout the planner chose; write time = params x 14 B / (storage GB/s per node x nodes);
// interval = sqrt(2 x write x MTBF) with MTBF = 1 / (rate x GPUs).
TEST(ClusterDurations, PretrainingJobTakesTheSimulatedStepTimeAndYoungDalyCheckpoints) {
  const Catalogs cat = Catalogs::load(data_dir());
  const double rate_per_gpu_hour = 1.9733e-5;
  Reliability rel;
  rel.failures_per_gpu_hour = rate_per_gpu_hour;
  rel.checkpoint_bytes_per_param = 14;
  TrainingRunCache cache(cat, rel);
  GeneratorSpec g;
  g.jobs = 3;
  g.simulated_durations = true;
  const DurationSource src{&cache, {{"dgx-h100", 64, true}}, "test"};
  const Workload w = generate_jobs(g, {pretraining_kind()}, tenants_of({{Tier::general, 0}}), 64, 64, &src);
  ASSERT_EQ(w.jobs.size(), 3u);
  EXPECT_EQ(cache.plans(), 1);  // one (model, system, GPUs): planned once

  const SimulatedRun& run = cache.get(pretraining_kind().training, "dgx-h100", 16, "test");
  TrainScenario sc{cat.model("llama3.1-8b"), cat.hardware.system("dgx-h100"), run.layout, cat.profile("megatron-core")};
  const TrainResult direct = simulate_training_step(sc, cat.calibration);
  ASSERT_TRUE(direct.feasible);
  const Job& j = w.jobs[0];
  EXPECT_EQ(j.system, "dgx-h100");
  EXPECT_DOUBLE_EQ(j.duration_s, 1000 * direct.step_time_s);

  const double params = total_params(cat.model("llama3.1-8b"));
  const double write_s = params * 14 / (20e9 * 2);  // 16 GPUs = 2 DGX H100 nodes of 20 GB/s
  EXPECT_NEAR(j.checkpoint_write_s, write_s, 1e-9 * write_s);
  const double mtbf_s = 3600 / (rate_per_gpu_hour * 16);
  EXPECT_NEAR(j.checkpoint_interval_s, std::sqrt(2 * write_s * mtbf_s), 1e-9 * j.checkpoint_interval_s);
}

// Without failures there is no Young/Daly interval: the kind's interval stays; the write time
// still counts.
TEST(ClusterDurations, NoFailureRateKeepsTheKindsInterval) {
  const Catalogs cat = Catalogs::load(data_dir());
  TrainingRunCache cache(cat, Reliability{});
  GeneratorSpec g;
  g.jobs = 1;
  g.simulated_durations = true;
  const DurationSource src{&cache, {{"dgx-h100", 64, true}}, "test"};
  const Workload w = generate_jobs(g, {pretraining_kind()}, tenants_of({{Tier::general, 0}}), 64, 64, &src);
  EXPECT_EQ(w.jobs[0].checkpoint_interval_s, 1800);
  EXPECT_GT(w.jobs[0].checkpoint_write_s, 0);
}

TEST(ClusterDurations, GeneratorSpecParsesDurations) {
  EXPECT_TRUE(parse_generator_spec("generate:llm-mix,jobs=10,durations=simulated").simulated_durations);
  EXPECT_FALSE(parse_generator_spec("generate:llm-mix,jobs=10").simulated_durations);
  EXPECT_THROW(parse_generator_spec("generate:llm-mix,durations=fast"), InputError);
}

// One 8-GPU node, restart 5 s. Spot job S (t=0, 8 GPUs, 1000 s of compute, checkpoint every
// 100 s, each write 10 s): 9 writes, 1090 s uninterrupted. Internal job I (t=250, 8 GPUs, 100 s)
// preempts S at 250: two periods of 110 s are saved (220 s), 30 s x 8 = 240 GPU-s lost, 870 s
// left. I runs 250-350; S reruns 350 + 5 (restart) + 870 = 1225. Lost 240 + 5 x 8 = 280 GPU-s;
// held 8 x 250 + 8 x 875 = 9000 = useful 8000 + checkpoints 9 x 10 x 8 = 720 + lost 280.
TEST(ClusterDurations, CheckpointWritesAddTheirTimeAndAFailureLosesSinceTheLast) {
  const Fleet f = dgx_fleet(1);
  const Tenants t = tenants_of({{Tier::internal, 8}, {Tier::spot, 0}});
  Job s = make_job("S", 1, 0, 8, 1000, 100);
  s.checkpoint_write_s = 10;
  EXPECT_EQ(s.checkpoint_writes(), 9);
  EXPECT_DOUBLE_EQ(s.run_time_s(), 1090);
  const std::vector<Job> jobs = {s, make_job("I", 0, 250, 8, 100)};
  SimOptions o;
  o.policy = Policy::quota_priority;
  o.restart_s = 5;
  const SimResult r = simulate(f, t, jobs, o);
  EXPECT_EQ(r.jobs[0].preemptions, 1);
  EXPECT_DOUBLE_EQ(r.jobs[0].lost_gpu_s, 280);
  EXPECT_DOUBLE_EQ(r.jobs[0].finish_s, 1225);
  EXPECT_DOUBLE_EQ(r.jobs[0].run_gpu_s, 9000);
  const FleetReport rep = summarize(f, t, jobs, r, "quota-priority", "none");
  EXPECT_DOUBLE_EQ(rep.fleet.checkpoint_gpu_hours * 3600, 720);
  // Alone it runs its 1090 s.
  o.policy = Policy::fifo;
  EXPECT_DOUBLE_EQ(simulate(f, t, {s}, o).jobs[0].finish_s, 1090);
}

// FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c (the FNV test vectors).
TEST(ClusterTenantMap, MappedOwnersGoToTheirTenantOthersByHash) {
  Tenants t = tenants_of({{Tier::internal, 8}, {Tier::partner, 8}, {Tier::general, 0}});
  t.tenant_map["vc-a"] = 1;
  EXPECT_EQ(fnv1a_64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(t.tenant_of("vc-a", "job1"), 1);
  EXPECT_EQ(t.tenant_of("a", "job1"), static_cast<int>(0xaf63dc4c8601ec8cULL % 3));
  EXPECT_EQ(t.tenant_of("", "a"), t.tenant_of("a", "other"));  // no owner: the job's name
}

namespace {

// The bench's 10,000-GPU fleet as the generator sees it: JP DGX H100 4,000, JP GB200 NVL72 2,880,
// overseas DGX H100 3,120.
const std::vector<PoolOffer> kBenchPools = {{"dgx-h100", 4000, true}, {"gb200-nvl72", 2880, true}, {"dgx-h100", 3120, false}};

struct OfferedLoad {
  double fleet = 0;                      // sum of gpus x duration / submission span / fleet GPUs
  std::map<std::string, double> system;  // the same per system, unpinned jobs shared by GPUs
};

OfferedLoad offered_load(const Workload& w, const std::vector<PoolOffer>& pools) {
  double fleet_gpus = 0;
  std::map<std::string, double> system_gpus, system_gpu_s;
  for (const PoolOffer& p : pools) fleet_gpus += p.gpus, system_gpus[p.system] += p.gpus;
  double gpu_s = 0, unpinned_gpu_s = 0;
  for (const Job& j : w.jobs) {
    gpu_s += j.gpus * j.duration_s;
    if (j.system.empty()) unpinned_gpu_s += j.gpus * j.duration_s;
    else system_gpu_s[j.system] += j.gpus * j.duration_s;
  }
  const double span = w.jobs.back().submit_s - w.jobs.front().submit_s;
  OfferedLoad out;
  out.fleet = gpu_s / span / fleet_gpus;
  for (const auto& [s, g] : system_gpus) out.system[s] = (system_gpu_s[s] + unpinned_gpu_s * g / fleet_gpus) / span / g;
  return out;
}

}  // namespace

// The generator offers the requested load: GPUs x duration over the submission span, per fleet
// GPU, within a few per cent, with log-normal and with simulated durations (where pretraining
// jobs of LLM-jp-3 172B are most of the GPU time). With simulated durations every system is
// offered that load too: before, pinning drew systems by pool GPUs / compute time whatever the
// residency, so the jp_restricted share piled onto the JP pools and GB200 NVL72 (JP only) was
// offered ~1.0 of its GPUs at load 0.9 (overseas H100 ~0.6) and its queue grew without bound.
TEST(ClusterDurations, GeneratedOfferedLoadMatchesTheTargetInBothDurationModes) {
  const Catalogs cat = Catalogs::load(data_dir());
  const FailureModel failures = load_failure_model(data_dir() + "/cluster/failures.yaml", "llama3");
  TrainingRunCache cache(cat, fleet_reliability(data_dir(), failures));
  const DurationSource src{&cache, kBenchPools, "llm-mix.yaml"};
  const std::vector<JobKind> kinds = load_job_kinds(data_dir() + "/cluster/llm-mix.yaml");
  const Tenants tenants = load_tenants(data_dir() + "/../examples/tenants-jp.yaml");
  for (const char* durations : {"lognormal", "simulated"}) {
    SCOPED_TRACE(durations);
    const GeneratorSpec g = parse_generator_spec(std::string("generate:llm-mix,jobs=40000,seed=3,load=0.9,durations=") + durations);
    const Workload w = generate_jobs(g, kinds, tenants, 10000, 4000, &src);
    const OfferedLoad load = offered_load(w, kBenchPools);
    EXPECT_NEAR(load.fleet, 0.9, 0.9 * 0.03);
    if (g.simulated_durations) {
      ASSERT_EQ(load.system.size(), 2u);
      for (const auto& [system, l] : load.system) EXPECT_NEAR(l, 0.9, 0.9 * 0.05) << system;
    }
  }
}
