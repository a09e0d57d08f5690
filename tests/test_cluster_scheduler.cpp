// The fleet scheduler on cases small enough to work out by hand: FIFO order, EASY backfill,
// gang placement, NVLink-domain placement, quota preemption with checkpoint accounting, energy.
#include <gtest/gtest.h>

#include "clustertwin/cluster/metrics.hpp"
#include "clustertwin/cluster/occupancy.hpp"
#include "clustertwin/cluster/simulator.hpp"
#include "test_cluster_helpers.hpp"

using namespace ct;
using namespace ct::cluster;
using namespace ct::cluster::testing;

namespace {

SimResult run(const Fleet& f, const Tenants& t, const std::vector<Job>& jobs, Policy p) {
  SimOptions o;
  o.policy = p;
  return simulate(f, t, jobs, o);
}

}  // namespace

// One 8-GPU node. A (t=0, 8 GPUs, 100 s) runs 0-100. B (t=10, 4 GPUs, 50 s) and C (t=20,
// 4 GPUs, 30 s) both fit once A ends: B 100-150, C 100-130. Delays 0, 90, 80.
TEST(ClusterScheduler, FifoThreeJobsByHand) {
  const Fleet f = dgx_fleet(1);
  const Tenants t = tenants_of({{Tier::general, 0}});
  const std::vector<Job> jobs = {make_job("A", 0, 0, 8, 100), make_job("B", 0, 10, 4, 50), make_job("C", 0, 20, 4, 30)};
  const SimResult r = run(f, t, jobs, Policy::fifo);
  EXPECT_EQ(r.jobs[0].first_start_s, 0);
  EXPECT_EQ(r.jobs[0].finish_s, 100);
  EXPECT_EQ(r.jobs[1].first_start_s, 100);
  EXPECT_EQ(r.jobs[1].finish_s, 150);
  EXPECT_EQ(r.jobs[2].first_start_s, 100);
  EXPECT_EQ(r.jobs[2].finish_s, 130);
  EXPECT_EQ(r.makespan_s, 150);
  // Busy GPU-seconds: 8x100 + 4x50 + 4x30 = 1120.
  EXPECT_DOUBLE_EQ(r.pool_busy_gpu_s[0], 1120);
}

// One 8-GPU node. A (t=0, 6 GPUs, 100 s); B (t=1, 8 GPUs, 10 s) must wait for A; C (t=2, 2 GPUs,
// 50 s). FIFO: C waits behind B: B 100-110, C 110-160 (delay 108). EASY backfill: B's reservation
// is at t=100; C ends at 52 <= 100, so it starts at once (delay 0) and B still starts at 100.
TEST(ClusterScheduler, EasyBackfillStartsAShortJobWithoutDelayingTheHead) {
  const Fleet f = dgx_fleet(1);
  const Tenants t = tenants_of({{Tier::general, 0}});
  const std::vector<Job> jobs = {make_job("A", 0, 0, 6, 100), make_job("B", 0, 1, 8, 10), make_job("C", 0, 2, 2, 50)};
  const SimResult fifo = run(f, t, jobs, Policy::fifo);
  EXPECT_EQ(fifo.jobs[1].first_start_s, 100);
  EXPECT_EQ(fifo.jobs[2].first_start_s, 110);
  const SimResult bf = run(f, t, jobs, Policy::backfill);
  EXPECT_EQ(bf.jobs[1].first_start_s, 100);
  EXPECT_EQ(bf.jobs[2].first_start_s, 2);
  EXPECT_EQ(bf.jobs[2].finish_s, 52);
}

// Same, but C runs 200 s: it would end after B's reservation and would take GPUs B needs, so
// backfill must not start it early.
TEST(ClusterScheduler, BackfillRefusesAJobThatWouldDelayTheReservation) {
  const Fleet f = dgx_fleet(1);
  const Tenants t = tenants_of({{Tier::general, 0}});
  const std::vector<Job> jobs = {make_job("A", 0, 0, 6, 100), make_job("B", 0, 1, 8, 10), make_job("C", 0, 2, 2, 200)};
  const SimResult bf = run(f, t, jobs, Policy::backfill);
  EXPECT_EQ(bf.jobs[1].first_start_s, 100);
  EXPECT_EQ(bf.jobs[2].first_start_s, 110);
}

TEST(ClusterScheduler, GangLargerThanTheFleetIsRejectedAndTheRestRuns) {
  const Fleet f = dgx_fleet(2);
  const Tenants t = tenants_of({{Tier::general, 0}});
  const std::vector<Job> jobs = {make_job("huge", 0, 0, 17, 10), make_job("ok", 0, 1, 16, 10)};
  const SimResult r = run(f, t, jobs, Policy::fifo);
  EXPECT_NE(r.jobs[0].rejected.find("larger than every eligible pool"), std::string::npos) << r.jobs[0].rejected;
  EXPECT_EQ(r.jobs[1].first_start_s, 1);
  EXPECT_EQ(r.jobs[1].finish_s, 11);
}

// Two NVL72 racks (18 trays x 4). A 64-GPU job lands in one rack (16 trays); an 8-GPU job that
// requires one rack takes the 8 left there (best fit), a 16-GPU one the other rack; a 72-GPU
// one-rack job then cannot fit (56 free there); after the first job ends, a 100-GPU job spreads
// over both racks, emptiest first: 64 + 36.
TEST(ClusterOccupancy, Nvl72PlacementPrefersOneRackAndBestFit) {
  Fleet f;
  f.sites.push_back(test_site("s", "JP"));
  add_pool(f, 0, test_system("nvl72", 4, 72), 2);
  Occupancy occ(f);
  Allocation a, b, c;
  ASSERT_TRUE(occ.place(0, 64, 1000, false, a));
  int domain = f.nodes[a.front().node].domain;
  for (const Slice& s : a) EXPECT_EQ(f.nodes[s.node].domain, domain);
  EXPECT_EQ(a.size(), 16u);  // 16 trays of 4
  ASSERT_TRUE(occ.place(0, 8, 1000, true, b));  // fits the 8 left in the first rack: best fit
  for (const Slice& s : b) EXPECT_EQ(f.nodes[s.node].domain, domain);
  EXPECT_EQ(occ.domain_free_gpus(domain), 0);
  ASSERT_TRUE(occ.place(0, 16, 1000, true, c));
  EXPECT_NE(f.nodes[c.front().node].domain, domain);
  Allocation d;
  EXPECT_FALSE(occ.place(0, 72, 1000, true, d));  // 56 free in one rack only
  occ.release(a);
  EXPECT_EQ(occ.pool_free_gpus(0), 64 + 56);
  ASSERT_TRUE(occ.place(0, 100, 1000, false, d));  // spreads: 64 + 36
  EXPECT_EQ(occ.pool_free_gpus(0), 20);
}

TEST(ClusterOccupancy, SharedGpusPackOntoThePartlyUsedGpu) {
  const Fleet f = dgx_fleet(1);
  Occupancy occ(f);
  Allocation a, b, c;
  ASSERT_TRUE(occ.place(0, 1, 460, false, a));
  EXPECT_EQ(occ.node_free_gpus(0), 7);
  ASSERT_TRUE(occ.place(0, 1, 500, false, b));  // 540 left on the first GPU: best fit
  EXPECT_EQ(occ.node_free_gpus(0), 7);
  ASSERT_TRUE(occ.place(0, 1, 100, false, c));  // 40 left there: goes to a new GPU
  EXPECT_EQ(occ.node_free_gpus(0), 6);
  occ.release(a);
  occ.release(b);
  occ.release(c);
  EXPECT_EQ(occ.node_free_gpus(0), 8);
}

// One 8-GPU node; internal tenant with quota 8, a spot tenant. Spot job S (t=0, 8 GPUs, 1000 s,
// checkpoint every 100 s). Internal job I (t=250, 8 GPUs, 100 s) preempts S at 250: S saved
// 200 s, lost 50 s x 8 = 400 GPU-s, has 800 s left; I runs 250-350; S reruns 350-1150.
TEST(ClusterScheduler, QuotaPriorityPreemptsSpotAndRestartsFromTheCheckpoint) {
  const Fleet f = dgx_fleet(1);
  const Tenants t = tenants_of({{Tier::internal, 8}, {Tier::spot, 0}});
  const std::vector<Job> jobs = {make_job("S", 1, 0, 8, 1000, 100), make_job("I", 0, 250, 8, 100)};
  const SimResult r = run(f, t, jobs, Policy::quota_priority);
  EXPECT_EQ(r.jobs[1].first_start_s, 250);
  EXPECT_EQ(r.jobs[1].finish_s, 350);
  EXPECT_EQ(r.jobs[0].preemptions, 1);
  EXPECT_DOUBLE_EQ(r.jobs[0].lost_gpu_s, 400);
  EXPECT_EQ(r.jobs[0].finish_s, 1150);
  // Held: 8 x 250 before, 8 x 800 after = 8400 GPU-s.
  EXPECT_DOUBLE_EQ(r.jobs[0].run_gpu_s, 8400);
  // FIFO never preempts: I waits for S.
  const SimResult fifo = run(f, t, jobs, Policy::fifo);
  EXPECT_EQ(fifo.jobs[1].first_start_s, 1000);
  EXPECT_EQ(fifo.jobs[0].preemptions, 0);
}

// An internal job within quota never preempts a partner job within its quota.
TEST(ClusterScheduler, PartnerWithinQuotaIsNotPreempted) {
  const Fleet f = dgx_fleet(1);
  const Tenants t = tenants_of({{Tier::internal, 8}, {Tier::partner, 8}});
  const std::vector<Job> jobs = {make_job("P", 1, 0, 8, 100), make_job("I", 0, 10, 8, 100)};
  const SimResult r = run(f, t, jobs, Policy::quota_priority);
  EXPECT_EQ(r.jobs[0].preemptions, 0);
  EXPECT_EQ(r.jobs[1].first_start_s, 100);
}

// Fairshare orders waiting jobs by the GPUs their tenant holds now, not by submit time.
TEST(ClusterScheduler, FairshareServesTheTenantHoldingLessFirst) {
  const Fleet f = dgx_fleet(2);
  const Tenants t = tenants_of({{Tier::general, 0}, {Tier::general, 0}});
  // t=0: X0 (tenant 0) takes node 1 for 1000 s; Y0 (tenant 0) takes node 2 until 100.
  // t=10: X1 (tenant 0, 8 GPUs) and t=20: Z (tenant 1, 8 GPUs) wait. At 100 one node frees:
  // FIFO gives it to X1 (submitted first); fairshare to Z (tenant 1 holds 0, tenant 0 holds 8).
  const std::vector<Job> jobs = {make_job("X0", 0, 0, 8, 1000), make_job("Y0", 0, 0, 8, 100), make_job("X1", 0, 10, 8, 50),
                                 make_job("Z", 1, 20, 8, 50)};
  const SimResult fifo = run(f, t, jobs, Policy::fifo);
  EXPECT_EQ(fifo.jobs[2].first_start_s, 100);
  EXPECT_EQ(fifo.jobs[3].first_start_s, 150);
  const SimResult fair = run(f, t, jobs, Policy::fairshare);
  EXPECT_EQ(fair.jobs[3].first_start_s, 100);
  EXPECT_EQ(fair.jobs[2].first_start_s, 150);
}

TEST(ClusterMetrics, NearestRankPercentiles) {
  const std::vector<double> v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  EXPECT_EQ(percentile(v, 50), 5);   // ceil(0.5 x 10) = 5th
  EXPECT_EQ(percentile(v, 95), 10);  // ceil(9.5) = 10th
  EXPECT_EQ(percentile(v, 10), 1);
  EXPECT_EQ(percentile({}, 50), 0);
}

// One node of 8 GPUs at 700 W busy / 70 W idle, PUE 1.5, 25 JPY/kWh, 0.42 kg/kWh. One job of
// 8 GPUs for 3600 s is the whole makespan: IT = 8 x 700 W x 1 h = 5.6 kWh; facility 8.4 kWh;
// cost 210 JPY; CO2 3.528 kg; utilisation 1.
TEST(ClusterMetrics, SiteEnergyCostAndCarbonByHand) {
  const Fleet f = dgx_fleet(1);
  const Tenants t = tenants_of({{Tier::general, 0}});
  const std::vector<Job> jobs = {make_job("A", 0, 0, 8, 3600)};
  const SimResult r = run(f, t, jobs, Policy::fifo);
  const FleetReport rep = summarize(f, t, jobs, r, "fifo", "none");
  ASSERT_EQ(rep.sites.size(), 1u);
  EXPECT_DOUBLE_EQ(rep.sites[0].utilisation, 1.0);
  EXPECT_NEAR(rep.sites[0].it_energy_kwh, 5.6, 1e-9);
  EXPECT_NEAR(rep.sites[0].facility_energy_kwh, 8.4, 1e-9);
  EXPECT_NEAR(rep.sites[0].cost_jpy, 210, 1e-9);
  EXPECT_NEAR(rep.sites[0].co2_kg, 3.528, 1e-9);
  EXPECT_DOUBLE_EQ(rep.fleet.goodput, 1.0);
  const std::string svg = queue_delay_cdf_svg(rep);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find(">general<"), std::string::npos);
}
