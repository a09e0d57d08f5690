#include "clustertwin/cluster/scenario.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "clustertwin/cluster/job_sources.hpp"
#include "clustertwin/cluster/metrics.hpp"
#include "clustertwin/cluster/simulator.hpp"
#include "clustertwin/cluster/trace_readers.hpp"
#include "clustertwin/config/catalogs.hpp"
#include "clustertwin/config/site_loader.hpp"
#include "clustertwin/core/error.hpp"
#include "clustertwin/hw/catalog.hpp"

namespace ct::cluster {

namespace fs = std::filesystem;

static int largest_pool_gpus(const Fleet& fleet) {
  int m = 0;
  for (const Pool& p : fleet.pools) m = std::max(m, p.gpus);
  return m;
}

std::vector<PoolOffer> pool_offers(const Fleet& fleet) {
  std::vector<PoolOffer> out;
  for (std::size_t p = 0; p < fleet.pools.size(); ++p)
    out.push_back({fleet.pools[p].system_id, fleet.pools[p].gpus, fleet.site_of_pool(static_cast<int>(p)).in_japan()});
  return out;
}

Reliability fleet_reliability(const std::string& data_dir, const FailureModel& failures) {
  Reliability rel = load_reliability((fs::path(data_dir) / "calibration" / "reliability.yaml").string());
  rel.failures_per_gpu_hour = failures.per_gpu_hour;  // the fleet's failure model sets each job's MTBF
  return rel;
}

Scenario load_scenario(const ClusterRequest& req, const std::string& data_dir) {
  Scenario s;
  if (!req.openb_nodes_path.empty()) {
    // The openb trace is from Alibaba's clusters in China: jurisdiction "CN", not JP.
    s.fleet = fleet_from_openb_nodes(req.openb_nodes_path, "CN", s.warnings);
  } else {
    if (req.fleet_path.empty()) throw InputError("command line", "--fleet", "give a fleet file or --openb-nodes");
    const HardwareCatalog catalog = HardwareCatalog::load((fs::path(data_dir) / "hardware").string());
    s.fleet = load_fleet(req.fleet_path, catalog, (fs::path(data_dir) / "sites").string());
  }
  s.tenants = req.tenants_path.empty() ? single_tenant("default") : load_tenants(req.tenants_path);
  s.warnings.insert(s.warnings.end(), s.tenants.warnings.begin(), s.tenants.warnings.end());
  s.failures = load_failure_model((fs::path(data_dir) / "cluster" / "failures.yaml").string(), req.failures);
  if (req.jobs.empty()) throw InputError("command line", "--jobs", "missing");
  if (is_generator_spec(req.jobs)) {
    const GeneratorSpec g = parse_generator_spec(req.jobs);
    const std::string mix = (fs::path(data_dir) / "cluster" / "llm-mix.yaml").string();
    const auto kinds = load_job_kinds(mix);
    if (g.simulated_durations) {
      const Catalogs catalogs = Catalogs::load(data_dir);
      TrainingRunCache cache(catalogs, fleet_reliability(data_dir, s.failures));
      const DurationSource src{&cache, pool_offers(s.fleet), mix};
      s.workload = generate_jobs(g, kinds, s.tenants, s.fleet.total_gpus(), largest_pool_gpus(s.fleet), &src);
    } else {
      s.workload = generate_jobs(g, kinds, s.tenants, s.fleet.total_gpus(), largest_pool_gpus(s.fleet));
    }
  } else {
    s.workload = read_trace(req.jobs_format, req.jobs, 0);
    // An empty result from a non-empty file is almost always the wrong --jobs-format.
    if (s.workload.jobs.empty())
      throw InputError(req.jobs, "--jobs-format",
                       fmt::format("no job could be read as a {} trace ({} rows skipped, {} warnings{}); check the format "
                                   "({})", req.jobs_format, s.workload.skipped, s.workload.warnings.size(),
                                   s.workload.warnings.empty() ? "" : ", first: " + s.workload.warnings.front(),
                                   kTraceFormats));
    for (Job& j : s.workload.jobs) j.tenant = s.tenants.tenant_of(j.owner, j.name);
  }
  s.warnings.insert(s.warnings.end(), s.workload.warnings.begin(), s.workload.warnings.end());
  return s;
}

std::vector<Job> without_residency(const std::vector<Job>& jobs) {
  std::vector<Job> out = jobs;
  for (Job& j : out)
    if (j.data_class == DataClass::jp_restricted) j.data_class = DataClass::unrestricted;
  return out;
}

ResidencyCost residency_cost(const std::vector<Job>& jobs, const SimResult& with_rule, const SimResult& without_rule) {
  std::vector<double> with, without;
  double sum_with = 0, sum_without = 0;
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    if (jobs[j].data_class != DataClass::jp_restricted) continue;
    if (with_rule.jobs[j].first_start_s < 0 || without_rule.jobs[j].first_start_s < 0) continue;
    with.push_back(with_rule.jobs[j].queue_delay_s(jobs[j].submit_s));
    without.push_back(without_rule.jobs[j].queue_delay_s(jobs[j].submit_s));
    sum_with += with.back(), sum_without += without.back();
  }
  std::sort(with.begin(), with.end());
  std::sort(without.begin(), without.end());
  ResidencyCost c;
  c.jobs = static_cast<int>(with.size());
  if (c.jobs == 0) return c;
  c.mean_wait_with_s = sum_with / c.jobs, c.mean_wait_without_s = sum_without / c.jobs;
  c.p95_wait_with_s = percentile(with, 95), c.p95_wait_without_s = percentile(without, 95);
  return c;
}

DelayComparison compare_recorded_delays(const std::vector<Job>& jobs, const SimResult& result) {
  std::vector<double> recorded, simulated;
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    if (jobs[j].recorded_queue_delay_s < 0 || result.jobs[j].first_start_s < 0) continue;
    recorded.push_back(jobs[j].recorded_queue_delay_s);
    simulated.push_back(result.jobs[j].queue_delay_s(jobs[j].submit_s));
  }
  std::sort(recorded.begin(), recorded.end());
  std::sort(simulated.begin(), simulated.end());
  auto mean = [](const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return v.empty() ? 0.0 : s / v.size();
  };
  DelayComparison c;
  c.jobs = static_cast<int>(recorded.size());
  c.recorded_p50_s = percentile(recorded, 50), c.recorded_p90_s = percentile(recorded, 90);
  c.recorded_p95_s = percentile(recorded, 95), c.recorded_p99_s = percentile(recorded, 99), c.recorded_mean_s = mean(recorded);
  c.simulated_p50_s = percentile(simulated, 50), c.simulated_p90_s = percentile(simulated, 90);
  c.simulated_p95_s = percentile(simulated, 95), c.simulated_p99_s = percentile(simulated, 99), c.simulated_mean_s = mean(simulated);
  return c;
}

}  // namespace ct::cluster
