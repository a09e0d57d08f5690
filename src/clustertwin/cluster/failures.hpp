#pragma once
// Failure models (data/cluster/failures.yaml): a fleet-wide Poisson process of interruptions at
// a published per-GPU-hour rate, each with a cause that decides its blast radius.
#include <string>
#include <vector>

namespace ct::cluster {

enum class BlastRadius { node, domain };

struct FailureCause {
  std::string name;
  double share = 0;
  BlastRadius blast_radius = BlastRadius::node;
};

struct FailureModel {
  std::string id;
  double per_gpu_hour = 0;
  std::vector<FailureCause> causes;
  double repair_s = 0;

  double per_gpu_s() const { return per_gpu_hour / 3600.0; }
};

// The model `id` from `path`; "none" gives a model with rate 0.
FailureModel load_failure_model(const std::string& path, const std::string& id);

}  // namespace ct::cluster
