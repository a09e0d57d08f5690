#include "clustertwin/cluster/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "clustertwin/report/svg_plot.hpp"
#include "clustertwin/core/atomic_file.hpp"
#include "clustertwin/core/csv.hpp"
#include "clustertwin/core/error.hpp"
#include "clustertwin/core/json_text.hpp"
#include "clustertwin/core/units.hpp"

namespace ct::cluster {

namespace {

constexpr double kSecondsPerHour = units::kSecondsPerHour;
constexpr double kJoulesPerKwh = 3.6e6;
constexpr std::size_t kRejectedListed = 20;
constexpr std::size_t kCdfPointsPerSeries = 400;  // enough for a smooth curve, small file
constexpr std::size_t kTimelinePoints = 400;
constexpr double kSecondsPerDay = 86400;

struct Accumulator {
  GroupMetrics m;
  std::vector<double> jcts_s, slowdowns;
  double delay_sum_s = 0;

  void add(const Job& job, const JobOutcome& o) {
    ++m.jobs;
    if (!o.rejected.empty()) {
      ++m.rejected;
      return;
    }
    m.gpu_hours += o.run_gpu_s / kSecondsPerHour;
    m.lost_gpu_hours += o.lost_gpu_s / kSecondsPerHour;
    m.preemptions += o.preemptions;
    m.failures += o.failures;
    if (o.first_start_s >= 0) {
      m.queue_delays_s.push_back(o.queue_delay_s(job.submit_s));
      delay_sum_s += o.queue_delay_s(job.submit_s);
    }
    if (!o.completed()) return;
    ++m.completed;
    m.useful_gpu_hours += job.gpu_seconds() / kSecondsPerHour;
    m.checkpoint_gpu_hours += (job.run_time_s() - job.duration_s) * job.gpu_share() / kSecondsPerHour;
    const double jct_s = o.finish_s - job.submit_s;
    jcts_s.push_back(jct_s);
    slowdowns.push_back(jct_s / std::max(job.run_time_s(), kBoundedSlowdownThresholdS));
  }

  GroupMetrics finish(const std::string& name) {
    m.group = name;
    std::sort(m.queue_delays_s.begin(), m.queue_delays_s.end());
    std::sort(jcts_s.begin(), jcts_s.end());
    m.queue_delay_p50_s = percentile(m.queue_delays_s, 50);
    m.queue_delay_p95_s = percentile(m.queue_delays_s, 95);
    m.queue_delay_p99_s = percentile(m.queue_delays_s, 99);
    m.queue_delay_mean_s = m.queue_delays_s.empty() ? 0 : delay_sum_s / m.queue_delays_s.size();
    m.jct_p50_s = percentile(jcts_s, 50);
    m.jct_p95_s = percentile(jcts_s, 95);
    double sum = 0;
    for (double x : jcts_s) sum += x;
    m.jct_mean_s = jcts_s.empty() ? 0 : sum / jcts_s.size();
    sum = 0;
    for (double x : slowdowns) sum += x;
    m.slowdown_mean = slowdowns.empty() ? 0 : sum / slowdowns.size();
    m.goodput = m.gpu_hours > 0 ? m.useful_gpu_hours / m.gpu_hours : 0;
    return m;
  }
};

double jain_index(const std::vector<double>& x) {
  double sum = 0, sum_sq = 0;
  for (double v : x) sum += v, sum_sq += v * v;
  return sum_sq > 0 ? sum * sum / (x.size() * sum_sq) : 1.0;
}

std::vector<SiteMetrics> site_metrics(const Fleet& fleet, const SimResult& result) {
  std::vector<SiteMetrics> out(fleet.sites.size());
  for (std::size_t s = 0; s < fleet.sites.size(); ++s) out[s].id = fleet.sites[s].id, out[s].jurisdiction = fleet.sites[s].jurisdiction;
  for (std::size_t p = 0; p < fleet.pools.size(); ++p) {
    const Pool& pool = fleet.pools[p];
    SiteMetrics& m = out[pool.site];
    const double busy_gpu_s = result.pool_busy_gpu_s[p];
    const double idle_gpu_s = std::max(0.0, pool.gpus * result.makespan_s - busy_gpu_s);
    m.gpus += pool.gpus;
    m.busy_gpu_hours += busy_gpu_s / kSecondsPerHour;
    // GPU board power only (TDP when busy, idle draw otherwise); hosts, NICs and switches are not counted.
    m.it_energy_kwh += (busy_gpu_s * pool.gpu_busy_w + idle_gpu_s * pool.gpu_idle_w) / kJoulesPerKwh;
  }
  for (std::size_t s = 0; s < out.size(); ++s) {
    SiteMetrics& m = out[s];
    const Site& site = fleet.sites[s];
    m.utilisation = m.gpus > 0 && result.makespan_s > 0 ? m.busy_gpu_hours * kSecondsPerHour / (m.gpus * result.makespan_s) : 0;
    m.facility_energy_kwh = m.it_energy_kwh * site.pue;
    m.cost_jpy = m.facility_energy_kwh * site.electricity_price_per_kwh;
    m.co2_kg = m.facility_energy_kwh * site.grid_co2_kg_per_kwh;
  }
  return out;
}

// Hourly per-tier busy GPU-seconds -> at most kTimelinePoints bins of fleet share.
void fill_utilisation_timeline(const Fleet& fleet, const SimResult& result, FleetReport& r) {
  const auto& hourly = result.busy_gpu_s_by_bin_and_tier;
  if (hourly.empty() || fleet.total_gpus() <= 0) return;
  const std::size_t per_bin = (hourly.size() + kTimelinePoints - 1) / kTimelinePoints;
  const double bin_s = SimResult::kTimelineBinS * per_bin;
  r.timeline_bin_days = bin_s / kSecondsPerDay;
  for (std::size_t first = 0; first < hourly.size(); first += per_bin) {
    std::array<double, kAllTiers.size()> share{};
    for (std::size_t k = first; k < std::min(hourly.size(), first + per_bin); ++k)
      for (std::size_t t = 0; t < share.size(); ++t) share[t] += hourly[k][t] / (bin_s * fleet.total_gpus());
    r.utilisation_by_tier.push_back(share);
  }
}

}  // namespace

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * sorted.size()));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

FleetReport summarize(const Fleet& fleet, const Tenants& tenants, const std::vector<Job>& jobs, const SimResult& result,
                      const std::string& policy, const std::string& failure_model) {
  FleetReport r;
  r.policy = policy;
  r.failure_model = failure_model;
  std::vector<Accumulator> by_tenant(tenants.list.size()), by_tier(kAllTiers.size()), by_class(kAllDataClasses.size());
  Accumulator all;
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    const Job& job = jobs[j];
    const JobOutcome& o = result.jobs[j];
    by_tenant[job.tenant].add(job, o);
    by_tier[static_cast<int>(tenants.list[job.tenant].tier)].add(job, o);
    by_class[static_cast<int>(job.data_class)].add(job, o);
    all.add(job, o);
    if (!o.rejected.empty() && r.rejected.size() < kRejectedListed) r.rejected.push_back(job.name + ": " + o.rejected);
  }
  std::vector<double> tenant_slowdowns;
  for (std::size_t t = 0; t < by_tenant.size(); ++t) {
    r.tenants.push_back(by_tenant[t].finish(tenants.list[t].id));
    if (r.tenants.back().completed > 0) tenant_slowdowns.push_back(r.tenants.back().slowdown_mean);
  }
  for (Tier t : kAllTiers) r.tiers.push_back(by_tier[static_cast<int>(t)].finish(tier_name(t)));
  for (DataClass c : kAllDataClasses) r.data_classes.push_back(by_class[static_cast<int>(c)].finish(data_class_name(c)));
  r.fleet = all.finish("fleet");
  r.fairness_jain = jain_index(tenant_slowdowns);
  r.sites = site_metrics(fleet, result);
  r.makespan_s = result.makespan_s;
  fill_utilisation_timeline(fleet, result, r);
  r.placements = result.placements;
  r.residency_checks = result.residency_checks;
  r.node_failures = result.node_failures;
  r.events = result.events;
  r.warnings = result.warnings;
  return r;
}

static nlohmann::json group_json(const GroupMetrics& g) {
  return {{"group", g.group},
          {"jobs", g.jobs},
          {"completed", g.completed},
          {"rejected", g.rejected},
          {"gpu_hours", g.gpu_hours},
          {"useful_gpu_hours", g.useful_gpu_hours},
          {"lost_gpu_hours", g.lost_gpu_hours},
          {"checkpoint_gpu_hours", g.checkpoint_gpu_hours},
          {"goodput", g.goodput},
          {"queue_delay_s", {{"p50", g.queue_delay_p50_s}, {"p95", g.queue_delay_p95_s}, {"p99", g.queue_delay_p99_s}, {"mean", g.queue_delay_mean_s}}},
          {"jct_s", {{"p50", g.jct_p50_s}, {"p95", g.jct_p95_s}, {"mean", g.jct_mean_s}}},
          {"bounded_slowdown_mean", g.slowdown_mean},
          {"preemptions", g.preemptions},
          {"failures", g.failures}};
}

nlohmann::json report_to_json(const FleetReport& r) {
  nlohmann::json j;
  j["policy"] = r.policy;
  j["failure_model"] = r.failure_model;
  j["makespan_s"] = r.makespan_s;
  j["fairness_jain_over_tenant_slowdown"] = r.fairness_jain;
  j["placements"] = r.placements;
  j["residency_checks"] = r.residency_checks;
  j["residency_violations"] = 0;  // a violation aborts the run (std::logic_error); a report means none
  j["node_failures"] = r.node_failures;
  j["events"] = r.events;
  j["fleet"] = group_json(r.fleet);
  for (const auto* list : {&r.tenants, &r.tiers, &r.data_classes}) {
    const char* key = list == &r.tenants ? "tenants" : list == &r.tiers ? "tiers" : "data_classes";
    j[key] = nlohmann::json::array();
    for (const GroupMetrics& g : *list) j[key].push_back(group_json(g));
  }
  j["sites"] = nlohmann::json::array();
  for (const SiteMetrics& s : r.sites)
    j["sites"].push_back({{"site", s.id}, {"jurisdiction", s.jurisdiction}, {"gpus", s.gpus}, {"busy_gpu_hours", s.busy_gpu_hours},
                          {"utilisation", s.utilisation}, {"it_energy_kwh", s.it_energy_kwh},
                          {"facility_energy_kwh", s.facility_energy_kwh}, {"cost_jpy", s.cost_jpy}, {"co2_kg", s.co2_kg}});
  j["rejected_examples"] = r.rejected;
  j["warnings"] = r.warnings;
  return j;
}

std::string groups_csv(const std::vector<GroupMetrics>& groups) {
  std::string out = csv_line({"group", "jobs", "completed", "rejected", "gpu_hours", "useful_gpu_hours", "lost_gpu_hours", "checkpoint_gpu_hours", "goodput",
                              "queue_delay_p50_s", "queue_delay_p95_s", "queue_delay_p99_s", "jct_p50_s", "jct_p95_s",
                              "bounded_slowdown_mean", "preemptions", "failures"});
  for (const GroupMetrics& g : groups)
    out += csv_line({g.group, std::to_string(g.jobs), std::to_string(g.completed), std::to_string(g.rejected),
                     fmt::format("{:.3f}", g.gpu_hours), fmt::format("{:.3f}", g.useful_gpu_hours), fmt::format("{:.3f}", g.lost_gpu_hours),
                     fmt::format("{:.3f}", g.checkpoint_gpu_hours), fmt::format("{:.4f}", g.goodput), fmt::format("{:.1f}", g.queue_delay_p50_s), fmt::format("{:.1f}", g.queue_delay_p95_s),
                     fmt::format("{:.1f}", g.queue_delay_p99_s), fmt::format("{:.1f}", g.jct_p50_s), fmt::format("{:.1f}", g.jct_p95_s),
                     fmt::format("{:.3f}", g.slowdown_mean), std::to_string(g.preemptions), std::to_string(g.failures)});
  return out;
}

std::string sites_csv(const std::vector<SiteMetrics>& sites) {
  std::string out = csv_line({"site", "jurisdiction", "gpus", "busy_gpu_hours", "utilisation", "it_energy_kwh", "facility_energy_kwh",
                              "cost_jpy", "co2_kg"});
  for (const SiteMetrics& s : sites)
    out += csv_line({s.id, s.jurisdiction, std::to_string(s.gpus), fmt::format("{:.3f}", s.busy_gpu_hours), fmt::format("{:.4f}", s.utilisation),
                     fmt::format("{:.1f}", s.it_energy_kwh), fmt::format("{:.1f}", s.facility_energy_kwh), fmt::format("{:.0f}", s.cost_jpy),
                     fmt::format("{:.1f}", s.co2_kg)});
  return out;
}

static std::string group_rows(const std::vector<GroupMetrics>& groups) {
  std::string o;
  for (const GroupMetrics& g : groups) {
    if (g.jobs == 0) continue;
    o += fmt::format("  {:<22} {:>8} {:>8} {:>12.0f} {:>9.0f} {:>9.0f} {:>9.0f} {:>9.2f} {:>6} {:>6} {:>10.0f} {:>7.3f}\n", g.group, g.jobs,
                     g.rejected, g.gpu_hours, g.queue_delay_p50_s, g.queue_delay_p95_s, g.queue_delay_p99_s, g.slowdown_mean, g.preemptions,
                     g.failures, g.lost_gpu_hours, g.goodput);
  }
  return o;
}

std::string format_report_text(const FleetReport& r) {
  std::string o = fmt::format("clustertwin cluster: policy {}, failures {}; makespan {:.1f} days; {} placements, {} residency checks, 0 violations; {} node failures\n",
                              r.policy, r.failure_model, r.makespan_s / 86400, r.placements, r.residency_checks, r.node_failures);
  const std::string header = fmt::format("  {:<22} {:>8} {:>8} {:>12} {:>9} {:>9} {:>9} {:>9} {:>6} {:>6} {:>10} {:>7}\n", "", "jobs", "rejected",
                                         "GPU-hours", "wait p50", "wait p95", "wait p99", "slowdown", "preem", "fail", "lost GPUh", "goodput");
  o += "\nper tier (waits in seconds)\n" + header + group_rows(r.tiers);
  o += "\nper tenant\n" + header + group_rows(r.tenants);
  o += "\nper data class\n" + header + group_rows(r.data_classes) + group_rows({r.fleet});
  o += fmt::format("\nfairness (Jain's index over tenants' mean bounded slowdown): {:.3f}\n", r.fairness_jain);
  o += "\nper site\n";
  o += fmt::format("  {:<22} {:>5} {:>7} {:>7} {:>14} {:>14} {:>14} {:>12}\n", "", "jur.", "GPUs", "util", "IT MWh", "facility MWh", "cost MJPY", "CO2 t");
  for (const SiteMetrics& s : r.sites)
    o += fmt::format("  {:<22} {:>5} {:>7} {:>6.1f}% {:>14.1f} {:>14.1f} {:>14.1f} {:>12.1f}\n", s.id, s.jurisdiction, s.gpus, 100 * s.utilisation,
                     s.it_energy_kwh / 1e3, s.facility_energy_kwh / 1e3, s.cost_jpy / 1e6, s.co2_kg / 1e3);
  for (const std::string& x : r.rejected) o += "  rejected: " + x + "\n";
  for (const std::string& w : r.warnings) o += "  warning: " + w + "\n";
  return o;
}

std::string queue_delay_cdf_svg(const FleetReport& r) {
  std::vector<PlotSeries> series;
  for (const GroupMetrics& g : r.tiers) {
    if (g.queue_delays_s.empty()) continue;
    PlotSeries s{g.group, {}};
    const std::size_t n = g.queue_delays_s.size(), step = std::max<std::size_t>(1, n / kCdfPointsPerSeries);
    // A delay of 0 s sits at the 1 s gridline: the log axis starts there.
    for (std::size_t i = 0; i < n; i += step) s.points.push_back({std::max(1.0, g.queue_delays_s[i]), double(i + 1) / n});
    s.points.push_back({std::max(1.0, g.queue_delays_s.back()), 1.0});
    series.push_back(std::move(s));
  }
  return svg_line_plot({"Queueing delay CDF per tier (" + r.policy + ")", "queueing delay (s, log; 0 s drawn at 1 s)", "fraction of started jobs", true, 0, 1},
                       series);
}

std::string utilisation_by_tier_csv(const FleetReport& r) {
  std::vector<std::string> header = {"day_start"};
  for (Tier t : kAllTiers) header.push_back(tier_name(t));
  header.push_back("all");
  std::string out = csv_line(header);
  for (std::size_t k = 0; k < r.utilisation_by_tier.size(); ++k) {
    std::vector<std::string> row = {fmt::format("{:.4f}", k * r.timeline_bin_days)};
    double all = 0;
    for (double x : r.utilisation_by_tier[k]) row.push_back(fmt::format("{:.4f}", x)), all += x;
    row.push_back(fmt::format("{:.4f}", all));
    out += csv_line(row);
  }
  return out;
}

std::string utilisation_by_tier_svg(const FleetReport& r) {
  std::vector<PlotSeries> series;
  PlotSeries all{"all tiers", {}};
  for (std::size_t t = 0; t < kAllTiers.size(); ++t) {
    PlotSeries s{tier_name(kAllTiers[t]), {}};
    for (std::size_t k = 0; k < r.utilisation_by_tier.size(); ++k) s.points.push_back({(k + 0.5) * r.timeline_bin_days, r.utilisation_by_tier[k][t]});
    series.push_back(std::move(s));
  }
  for (std::size_t k = 0; k < r.utilisation_by_tier.size(); ++k) {
    double sum = 0;
    for (double x : r.utilisation_by_tier[k]) sum += x;
    all.points.push_back({(k + 0.5) * r.timeline_bin_days, sum});
  }
  series.push_back(std::move(all));
  return svg_line_plot({"Fleet GPUs held per tier over time (" + r.policy + ")", "time since the first submission (days)",
                        "share of the fleet's GPUs", false, 0, 1},
                       series);
}

void write_report_dir(const std::string& dir, const FleetReport& r) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir))
    throw InputError(dir, "--report", "cannot create the report folder" + (ec ? ": " + ec.message() : std::string()));
  const std::filesystem::path d(dir);
  write_file_atomically((d / "summary.json").string(), json_text(report_to_json(r)) + "\n");
  write_file_atomically((d / "tenants.csv").string(), groups_csv(r.tenants));
  write_file_atomically((d / "tiers.csv").string(), groups_csv(r.tiers));
  write_file_atomically((d / "data_classes.csv").string(), groups_csv(r.data_classes));
  write_file_atomically((d / "sites.csv").string(), sites_csv(r.sites));
  write_file_atomically((d / "delay_cdf_by_tier.svg").string(), queue_delay_cdf_svg(r));
  write_file_atomically((d / "utilisation_by_tier.csv").string(), utilisation_by_tier_csv(r));
  write_file_atomically((d / "utilisation_by_tier.svg").string(), utilisation_by_tier_svg(r));
}

}  // namespace ct::cluster
