#pragma once
// What each tenant, tier and site got out of a simulated run, and the report files.
#include <array>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "clustertwin/cluster/fleet.hpp"
#include "clustertwin/cluster/job.hpp"
#include "clustertwin/cluster/simulator.hpp"

namespace ct::cluster {

// Nearest-rank percentile of ascending `sorted` (p in (0, 100]); 0 for an empty list.
double percentile(const std::vector<double>& sorted, double p);

// Bounded slowdown (Feitelson et al., "Theory and Practice in Parallel Job Scheduling", 1997):
// JCT / max(run time, threshold), so a few-second job's queueing does not dominate the mean.
inline constexpr double kBoundedSlowdownThresholdS = 10.0;

struct GroupMetrics {
  std::string group;
  int jobs = 0, completed = 0, rejected = 0;
  double gpu_hours = 0;             // held while running, lost work included
  double useful_gpu_hours = 0;      // the completed jobs' own run time x GPUs
  double lost_gpu_hours = 0;
  double checkpoint_gpu_hours = 0;  // the completed jobs' checkpoint writes x GPUs (held, not useful)
  double queue_delay_p50_s = 0, queue_delay_p95_s = 0, queue_delay_p99_s = 0, queue_delay_mean_s = 0;
  double jct_p50_s = 0, jct_p95_s = 0, jct_mean_s = 0;
  double slowdown_mean = 0;
  int preemptions = 0, failures = 0;
  double goodput = 0;               // useful / held GPU-hours
  std::vector<double> queue_delays_s;  // sorted, for the CDF plot
};

struct SiteMetrics {
  std::string id, jurisdiction;
  int gpus = 0;
  double busy_gpu_hours = 0, utilisation = 0;
  double it_energy_kwh = 0, facility_energy_kwh = 0, cost_jpy = 0, co2_kg = 0;
};

struct FleetReport {
  std::string policy, failure_model;
  std::vector<GroupMetrics> tenants, tiers, data_classes;
  GroupMetrics fleet;
  std::vector<SiteMetrics> sites;
  double makespan_s = 0;
  // Share of the fleet's GPUs each tier held, per time bin (at most kTimelinePoints bins, each
  // the mean of SimResult's hourly bins); bin_days = the width of one.
  double timeline_bin_days = 0;
  std::vector<std::array<double, kAllTiers.size()>> utilisation_by_tier;
  double fairness_jain = 0;  // Jain's index over tenants' mean slowdown (1 = all equal)
  long long placements = 0, residency_checks = 0, node_failures = 0, events = 0;
  std::vector<std::string> rejected;  // "job: reason", first few
  std::vector<std::string> warnings;
};

FleetReport summarize(const Fleet& fleet, const Tenants& tenants, const std::vector<Job>& jobs, const SimResult& result,
                      const std::string& policy, const std::string& failure_model);

nlohmann::json report_to_json(const FleetReport& r);
std::string groups_csv(const std::vector<GroupMetrics>& groups);
std::string sites_csv(const std::vector<SiteMetrics>& sites);
std::string format_report_text(const FleetReport& r);
std::string queue_delay_cdf_svg(const FleetReport& r);
std::string utilisation_by_tier_csv(const FleetReport& r);
std::string utilisation_by_tier_svg(const FleetReport& r);

// summary.json, tenants.csv, tiers.csv, data_classes.csv, sites.csv, delay_cdf_by_tier.svg,
// utilisation_by_tier.csv, utilisation_by_tier.svg.
void write_report_dir(const std::string& dir, const FleetReport& r);

}  // namespace ct::cluster
