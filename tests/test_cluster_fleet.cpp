// Fleet, site, tenant and job-source loading for the fleet simulator: the example files, the
// openb trace files (counts checked against data/traces/README.md), malformed input.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "clustertwin/cluster/simulator.hpp"
#include "clustertwin/cluster/fleet.hpp"
#include "clustertwin/cluster/job_sources.hpp"
#include "clustertwin/cluster/tenants.hpp"
#include "clustertwin/core/error.hpp"
#include "clustertwin/core/paths.hpp"
#include "test_cluster_helpers.hpp"

using namespace ct;
using namespace ct::cluster;

namespace {

const std::string kSource = std::string(CLUSTERTWIN_DATA_DIR) + "/..";
const std::string kTraces = std::string(CLUSTERTWIN_DATA_DIR) + "/traces/alibaba-gpu-v2023/";

std::string write_temp(const std::string& name, const std::string& text) {
  const auto p = std::filesystem::temp_directory_path() / ("clustertwin-test-" + name);
  std::ofstream(p) << text;
  return p.string();
}

}  // namespace

TEST(ClusterFleet, ExampleFleetHasNvl72RacksOfEighteenTraysAndDgxNodesOfEight) {
  const HardwareCatalog cat = HardwareCatalog::load(data_dir() + "/hardware");
  const Fleet f = load_fleet(kSource + "/examples/fleet-jp.yaml", cat, data_dir() + "/sites");
  ASSERT_EQ(f.sites.size(), 3u);
  EXPECT_TRUE(f.sites[0].in_japan());
  EXPECT_TRUE(f.sites[1].in_japan());
  EXPECT_FALSE(f.sites[2].in_japan());
  // 256 x 8 H100 + 32 x 72 GB200 + 128 x 8 B200 + 128 x 8 H100 (the file's comments).
  EXPECT_EQ(f.total_gpus(), 2048 + 2304 + 1024 + 1024);
  const Pool& nvl = f.pools[1];
  EXPECT_EQ(nvl.system_id, "gb200-nvl72");
  EXPECT_EQ(nvl.domain_count, 32);
  const Domain& rack = f.domains[nvl.first_domain];
  EXPECT_EQ(rack.gpus, 72);
  EXPECT_EQ(rack.node_count, 18);
  EXPECT_EQ(f.nodes[rack.first_node].gpus, 4);
  const Domain& dgx = f.domains[f.pools[0].first_domain];
  EXPECT_EQ(dgx.node_count, 1);
  EXPECT_EQ(f.nodes[dgx.first_node].gpus, 8);
  EXPECT_EQ(f.sites[0].electricity_price_per_kwh, 25);
  EXPECT_EQ(f.sites[0].grid_co2_kg_per_kwh, 0.42);
}

TEST(ClusterFleet, SiteWithoutSourcesIsRejected) {
  const std::string p = write_temp("site-nosrc.yaml",
                                   "id: x\njurisdiction: JP\npue: 1.2\nelectricity_jpy_per_kwh: 25\ngrid_co2_kg_per_kwh: 0.4\n");
  try {
    load_site(p);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.field(), "sources.pue");
  }
}

TEST(ClusterFleet, UnknownSystemNamesTheField) {
  const HardwareCatalog cat = HardwareCatalog::load(data_dir() + "/hardware");
  const std::string p = write_temp("fleet-bad.yaml", "sites:\n  - site: jp-kanto-h100\n    pools:\n      - system: nope\n        domains: 2\n");
  try {
    load_fleet(p, cat, data_dir() + "/sites");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.field(), "sites[0].pools[0].system");
  }
}

TEST(ClusterFleet, OpenbGpuNodesMatchTheTraceReadme) {
  std::vector<std::string> warnings;
  const Fleet f = fleet_from_openb_nodes(kTraces + "openb_node_list_gpu_node.csv", "CN", warnings);
  // README: 1,213 GPU nodes, 6,212 GPUs; 7 models (A10 G2 G3 P100 T4 V100M16 V100M32).
  EXPECT_EQ(f.nodes.size(), 1213u);
  EXPECT_EQ(f.total_gpus(), 6212);
  EXPECT_EQ(f.pools.size(), 7u);
  EXPECT_TRUE(warnings.empty());
}

TEST(ClusterTenants, ExampleTenantsLoadAndQuotaTierWithoutQuotaWarns) {
  const Tenants t = load_tenants(kSource + "/examples/tenants-jp.yaml");
  ASSERT_EQ(t.list.size(), 5u);
  EXPECT_EQ(t.list[0].tier, Tier::internal);
  EXPECT_EQ(t.list[0].quota_gpus, 2048);
  EXPECT_DOUBLE_EQ(t.list[0].data_class_share[0], 0.7);
  EXPECT_TRUE(t.warnings.empty());
  const std::string p = write_temp("tenants-noquota.yaml", "tenants:\n  - id: p\n    tier: partner\n");
  const Tenants w = load_tenants(p);
  ASSERT_EQ(w.warnings.size(), 1u);
  EXPECT_NE(w.warnings[0].find("has no quota anywhere"), std::string::npos);
}

TEST(ClusterJobs, OpenbMalformedLinesAreReportedWithLineNumbersAndSkipped) {
  const std::string text =
      "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n"
      "ok-1,1000,1024,2,1000,V100M16|V100M32,LS,Running,10,110,15\n"   // line 2: a job
      "bad-gpu,1000,1024,x,1000,,LS,Running,10,110,15\n"               // line 3: num_gpu
      "short,1000,1024\n"                                              // line 4: field count
      "cpu,1000,1024,0,0,,BE,Running,10,110,15\n"                      // line 5: CPU-only, skipped
      "never,1000,1024,1,1000,,BE,Pending,10,110,\n"                   // line 6: never scheduled
      "share,1000,1024,1,460,,BE,Running,5,65,5\n"                     // line 7: a shared GPU
      "back,1000,1024,1,1000,,BE,Running,40,30,45\n";                  // line 8: deletion < scheduled
  const Workload w = parse_openb_pods(text, "pods.csv", 0);
  ASSERT_EQ(w.jobs.size(), 2u);
  // Sorted by creation time: "share" (5) before "ok-1" (10).
  EXPECT_EQ(w.jobs[0].name, "share");
  EXPECT_EQ(w.jobs[0].gpu_milli, 460);
  EXPECT_EQ(w.jobs[1].gpus, 2);
  EXPECT_EQ(w.jobs[1].duration_s, 95);
  EXPECT_EQ(w.jobs[1].recorded_queue_delay_s, 5);
  EXPECT_EQ(w.jobs[1].gpu_types, (std::vector<std::string>{"V100M16", "V100M32"}));
  std::string all;
  for (const auto& x : w.warnings) all += x + "\n";
  EXPECT_NE(all.find("pods.csv: line 3: num_gpu"), std::string::npos) << all;
  EXPECT_NE(all.find("pods.csv: line 4: has 3 fields"), std::string::npos) << all;
  EXPECT_NE(all.find("pods.csv: line 8: deletion_time"), std::string::npos) << all;
  EXPECT_NE(all.find("2 pods skipped"), std::string::npos) << all;
}

TEST(ClusterJobs, OpenbDefaultTraceHas6203GpuPodsThatRan) {
  const Workload w = read_openb_pods(kTraces + "openb_pod_list_default.csv", 0);
  // GPU pods (num_gpu > 0) with a scheduled_time, counted independently with awk:
  //   awk -F, 'NR>1 && $4>0 && $11!=""' openb_pod_list_default.csv | wc -l  ->  6203
  EXPECT_EQ(w.jobs.size(), 6203u);
  for (std::size_t i = 1; i < w.jobs.size(); ++i) ASSERT_LE(w.jobs[i - 1].submit_s, w.jobs[i].submit_s);
}

TEST(ClusterJobs, GeneratorIsDeterministicAndOffersTheRequestedLoad) {
  const std::vector<JobKind> kinds = load_job_kinds(data_dir() + "/cluster/llm-mix.yaml");
  const Tenants t = load_tenants(kSource + "/examples/tenants-jp.yaml");
  const GeneratorSpec spec = parse_generator_spec("generate:llm-mix,jobs=2000,seed=7,load=0.5");
  EXPECT_EQ(spec.jobs, 2000);
  EXPECT_EQ(spec.seed, 7u);
  const Workload a = generate_jobs(spec, kinds, t, 6400, 2304);
  const Workload b = generate_jobs(spec, kinds, t, 6400, 2304);
  ASSERT_EQ(a.jobs.size(), 2000u);
  double gpu_s = 0;
  for (std::size_t i = 0; i < a.jobs.size(); ++i) {
    EXPECT_EQ(a.jobs[i].name, b.jobs[i].name);
    EXPECT_EQ(a.jobs[i].submit_s, b.jobs[i].submit_s);
    EXPECT_EQ(a.jobs[i].gpus, b.jobs[i].gpus);
    EXPECT_LE(a.jobs[i].gpus, 2304);
    // spot-pool (index 4) is all unrestricted in tenants-jp.yaml.
    if (a.jobs[i].tenant == 4) {
      EXPECT_EQ(a.jobs[i].data_class, DataClass::unrestricted);
    }
    gpu_s += a.jobs[i].gpu_seconds();
  }
  // Offered load = GPU-seconds submitted / (fleet GPUs x span); Poisson noise on 2,000 arrivals.
  const double load = gpu_s / (6400.0 * a.jobs.back().submit_s);
  EXPECT_NEAR(load, 0.5, 0.05);
  const Workload c = generate_jobs(parse_generator_spec("generate:llm-mix,jobs=2000,seed=8"), kinds, t, 6400, 2304);
  EXPECT_NE(a.jobs[10].submit_s, c.jobs[10].submit_s);
}

TEST(ClusterJobs, GeneratorSpecErrorsNameTheOption) {
  EXPECT_THROW(parse_generator_spec("generate:other,jobs=5"), InputError);
  EXPECT_THROW(parse_generator_spec("generate:llm-mix,jobs=-5"), InputError);
  EXPECT_THROW(parse_generator_spec("generate:llm-mix,colour=blue"), InputError);
  EXPECT_THROW(parse_generator_spec("generate:llm-mix,load=0"), InputError);
}

TEST(FleetProgress, CountsJobEventsAndClosesAtTwoPerJob) {
  const Workload w = read_openb_pods(kTraces + "openb_pod_list_default.csv", 0);
  std::vector<std::string> warnings;
  const Fleet f = fleet_from_openb_nodes(kTraces + "openb_node_list_gpu_node.csv", "CN", warnings);
  SimOptions opt;
  std::vector<std::pair<int, int>> calls;
  opt.progress = [&](int done, int total) { calls.emplace_back(done, total); };
  simulate(f, single_tenant("all"), w.jobs, opt);
  ASSERT_GE(calls.size(), 2u);  // thousands of jobs: a call per 1,024 arrivals or ends, then the closing one
  for (std::size_t i = 1; i < calls.size(); ++i) EXPECT_GE(calls[i].first, calls[i - 1].first);
  const int total = 2 * static_cast<int>(w.jobs.size());
  EXPECT_EQ(calls.back(), std::make_pair(total, total));
  for (const auto& [done, all] : calls) EXPECT_EQ(all, total);
}
