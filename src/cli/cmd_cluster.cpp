// `clustertwin cluster`: a fleet of sites, tenants and jobs through the event-driven scheduler;
// per-tenant, per-tier and per-site results, the cost of the residency rule, and a report folder.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/progress.hpp"
#include "cli/number_flags.hpp"
#include "clustertwin/cluster/metrics.hpp"
#include "clustertwin/cluster/scenario.hpp"
#include "clustertwin/cluster/simulator.hpp"
#include "clustertwin/config/site_loader.hpp"
#include "clustertwin/core/error.hpp"
#include "clustertwin/core/paths.hpp"

namespace ct::cli {

namespace {

std::vector<cluster::Policy> parse_policy_list(const std::string& list) {
  std::vector<cluster::Policy> out;
  std::stringstream ss(list);
  for (std::string p; std::getline(ss, p, ',');) out.push_back(cluster::parse_policy(p));
  if (out.empty()) throw InputError("command line", "--compare-policies", "empty list");
  return out;
}

// Extra waiting of jp_restricted jobs, and the utilisation shift, caused by the residency rule.
std::string residency_cost_text(const cluster::ResidencyCost& c, const cluster::FleetReport& with,
                                const cluster::FleetReport& without) {
  std::string o = "\ncost of residency (the same jobs with jp_restricted made unrestricted)\n";
  o += fmt::format("  {} jp_restricted jobs: mean wait {:.0f} s vs {:.0f} s unconstrained; p95 {:.0f} s vs {:.0f} s\n", c.jobs,
                   c.mean_wait_with_s, c.mean_wait_without_s, c.p95_wait_with_s, c.p95_wait_without_s);
  for (std::size_t s = 0; s < with.sites.size(); ++s)
    o += fmt::format("  {:<22} utilisation {:.1f}% vs {:.1f}% unconstrained\n", with.sites[s].id, 100 * with.sites[s].utilisation,
                     100 * without.sites[s].utilisation);
  return o;
}

}  // namespace

Runner add_cluster_command(CLI::App& app) {
  struct Options {
    cluster::ClusterRequest req;
    std::string policy = "fifo", compare, report_dir;
    std::uint64_t seed = 1;
    int backfill_depth = 100;
    bool residency_cost = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* c = app.add_subcommand("cluster", "Simulate fleet operations: tenants, tiers, data residency, gang scheduling, failures");
  CLI::Option* fleet = c->add_option("--fleet", o->req.fleet_path, "Fleet YAML (sites and pools)");
  c->add_option("--openb-nodes", o->req.openb_nodes_path, "Use an openb node list as the fleet instead")->excludes(fleet);
  c->add_option("--tenants", o->req.tenants_path, "Tenants YAML (default: one general tenant)");
  c->add_option("--jobs", o->req.jobs, "Trace file, or generate:llm-mix,jobs=N,seed=S[,load=L]")->required();
  c->add_option("--jobs-format", o->req.jobs_format, "Trace format: openb, philly, helios, acme, pai (pai: the job table or its folder)");
  CLI::Option* policy = c->add_option("--policy", o->policy, cluster::kPolicyNames);
  c->add_option("--compare-policies", o->compare, "Comma-separated policies to run side by side")->excludes(policy);
  c->add_option("--failures", o->req.failures, "Failure model of data/cluster/failures.yaml (none, llama3)");
  c->add_option("--seed", o->seed, "Seed of the failure process");
  c->add_option("--backfill-depth", o->backfill_depth, "Jobs examined behind a blocked head per pass")
      ->check(checked(kNonNegativeCount));
  c->add_flag("--residency-cost", o->residency_cost, "Also run with jp_restricted made unrestricted and compare");
  c->add_option("--report", o->report_dir, "Write CSV, JSON and SVG results into this folder");
  return [o] {
    const cluster::Scenario s = cluster::load_scenario(o->req, data_dir());
    for (const std::string& w : s.warnings) std::cerr << "clustertwin: warning: " << w << "\n";
    const std::vector<cluster::Policy> policies =
        o->compare.empty() ? std::vector<cluster::Policy>{cluster::parse_policy(o->policy)} : parse_policy_list(o->compare);
    for (cluster::Policy p : policies) {
      cluster::SimOptions opt;
      opt.policy = p;
      opt.failures = s.failures;
      opt.seed = o->seed;
      opt.backfill_depth = o->backfill_depth;
      if (s.workload.jobs.size() >= 10000) opt.progress = progress_bar(true, "job arrivals and ends");  // on a terminal only
      opt.multifactor = cluster::load_multifactor_config(data_dir() + "/cluster/slurm-multifactor.yaml");
      opt.restart_s = load_reliability(data_dir() + "/calibration/reliability.yaml").restart_s;
      const cluster::SimResult result = cluster::simulate(s.fleet, s.tenants, s.workload.jobs, opt);
      const cluster::FleetReport rep = cluster::summarize(s.fleet, s.tenants, s.workload.jobs, result, cluster::policy_name(p), s.failures.id);
      if (!result.stopped.empty()) std::cerr << "clustertwin: warning: simulation stopped: " << result.stopped << "\n";
      std::cout << cluster::format_report_text(rep);
      const cluster::DelayComparison cmp = cluster::compare_recorded_delays(s.workload.jobs, result);
      if (cmp.jobs > 0)
        std::cout << fmt::format("\nqueueing delay vs the trace ({} jobs), s: p50 {:.0f} vs {:.0f}, p90 {:.0f} vs {:.0f}, p95 {:.0f} vs {:.0f}, "
                                 "p99 {:.0f} vs {:.0f}, mean {:.0f} vs {:.0f} (simulated vs recorded)\n",
                                 cmp.jobs, cmp.simulated_p50_s, cmp.recorded_p50_s, cmp.simulated_p90_s, cmp.recorded_p90_s, cmp.simulated_p95_s,
                                 cmp.recorded_p95_s, cmp.simulated_p99_s, cmp.recorded_p99_s, cmp.simulated_mean_s, cmp.recorded_mean_s);
      if (o->residency_cost) {
        const std::vector<cluster::Job> free_jobs = cluster::without_residency(s.workload.jobs);
        const cluster::SimResult base = cluster::simulate(s.fleet, s.tenants, free_jobs, opt);
        std::cout << residency_cost_text(cluster::residency_cost(s.workload.jobs, result, base), rep,
                                         cluster::summarize(s.fleet, s.tenants, free_jobs, base, rep.policy, rep.failure_model));
      }
      if (!o->report_dir.empty())
        cluster::write_report_dir(policies.size() == 1 ? o->report_dir : o->report_dir + "/" + rep.policy, rep);
      std::cout << "\n";
    }
    return 0;
  };
}

}  // namespace ct::cli
