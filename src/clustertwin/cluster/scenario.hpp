#pragma once
// One fleet run from files and flags, as the CLI and the tests set it up, and the openb replay
// comparison (simulated vs recorded queueing delay).
#include <string>
#include <vector>

#include "clustertwin/cluster/failures.hpp"
#include "clustertwin/cluster/fleet.hpp"
#include "clustertwin/cluster/job.hpp"
#include "clustertwin/cluster/job_sources.hpp"
#include "clustertwin/cluster/tenants.hpp"

namespace ct::cluster {

struct ClusterRequest {
  std::string fleet_path;        // fleet YAML; or empty with openb_nodes_path
  std::string openb_nodes_path;  // an openb node list as the fleet (one site)
  std::string tenants_path;      // empty: one general tenant "default"
  std::string jobs;              // a trace path or "generate:llm-mix,jobs=N,seed=S[,load=L]"
  std::string jobs_format = "openb";
  std::string failures = "none"; // a model id of data/cluster/failures.yaml
};

struct Scenario {
  Fleet fleet;
  Tenants tenants;
  Workload workload;
  FailureModel failures;
  std::vector<std::string> warnings;  // fleet, tenants and workload warnings together
};

Scenario load_scenario(const ClusterRequest& req, const std::string& data_dir);

// The fleet's pools as the generator's durations=simulated sees them.
std::vector<PoolOffer> pool_offers(const Fleet& fleet);
// data/calibration/reliability.yaml (restart, checkpoint bytes per parameter) with the failure
// rate of the fleet's failure model.
Reliability fleet_reliability(const std::string& data_dir, const FailureModel& failures);

// A copy of `jobs` with every jp_restricted job made unrestricted: the counterfactual run that
// prices the residency rule.
std::vector<Job> without_residency(const std::vector<Job>& jobs);

struct DelayComparison {
  int jobs = 0;  // started jobs with a recorded delay
  double recorded_p50_s = 0, recorded_p90_s = 0, recorded_p95_s = 0, recorded_p99_s = 0, recorded_mean_s = 0;
  double simulated_p50_s = 0, simulated_p90_s = 0, simulated_p95_s = 0, simulated_p99_s = 0, simulated_mean_s = 0;
};
struct SimResult;
DelayComparison compare_recorded_delays(const std::vector<Job>& jobs, const SimResult& result);

// The residency rule's price, on the jobs that are jp_restricted in `jobs`: their queueing
// delay with the rule (`with_rule`) and in the counterfactual run on without_residency(jobs).
struct ResidencyCost {
  int jobs = 0;
  double mean_wait_with_s = 0, mean_wait_without_s = 0, p95_wait_with_s = 0, p95_wait_without_s = 0;
};
ResidencyCost residency_cost(const std::vector<Job>& jobs, const SimResult& with_rule, const SimResult& without_rule);

}  // namespace ct::cluster
