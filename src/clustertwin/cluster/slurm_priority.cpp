#include "clustertwin/cluster/slurm_priority.hpp"

#include <algorithm>
#include <cmath>

#include "clustertwin/core/error.hpp"
#include "clustertwin/core/yaml_util.hpp"

namespace ct::cluster {

double MultifactorConfig::qos_factor(Tier t) const {
  double top = 0;
  for (const Qos& q : qos_by_tier) top = std::max(top, q.priority);
  return top > 0 ? qos_by_tier[static_cast<int>(t)].priority / top : 0.0;
}

bool MultifactorConfig::qos_preempts(Tier preemptor, Tier victim) const {
  const auto& list = qos_by_tier[static_cast<int>(preemptor)].preempts;
  return std::find(list.begin(), list.end(), victim) != list.end();
}

MultifactorConfig load_multifactor_config(const std::string& path) {
  const YAML::Node y = load_yaml_mapping(path);
  MultifactorConfig c;
  const YAML::Node w = y["weights"];
  c.weight_age = yaml_number(w, "age", path, "weights");
  c.weight_fairshare = yaml_number(w, "fairshare", path, "weights");
  c.weight_job_size = yaml_number(w, "job_size", path, "weights");
  c.weight_qos = yaml_number(w, "qos", path, "weights");
  c.max_age_s = yaml_number(y, "max_age_s", path, "");
  c.decay_half_life_s = yaml_number(y, "decay_half_life_s", path, "");
  if (c.max_age_s <= 0 || c.decay_half_life_s <= 0) throw InputError(path, "max_age_s", "max_age_s and decay_half_life_s must be > 0");
  const YAML::Node qos = y["qos"];
  for (Tier t : kAllTiers) {
    const std::string where = std::string("qos.") + tier_name(t);
    const YAML::Node q = qos ? qos[tier_name(t)] : YAML::Node();
    if (!q) throw InputError(path, where, "missing (one QOS per tier)");
    Qos& out = c.qos_by_tier[static_cast<int>(t)];
    out.priority = yaml_number(q, "priority", path, where);
    if (q["preempts"])
      for (const auto& v : q["preempts"]) out.preempts.push_back(parse_tier(v.as<std::string>(), path, where + ".preempts"));
  }
  if (!y["sources"]) throw InputError(path, "sources", "the weights must cite their source");
  return c;
}

double age_factor(double queued_s, double max_age_s) { return std::clamp(queued_s / max_age_s, 0.0, 1.0); }

double classic_fairshare_factor(double usage_share, double normalized_shares) {
  return normalized_shares > 0 ? std::exp2(-usage_share / normalized_shares) : 0.0;
}

double multifactor_priority(const MultifactorConfig& c, double age, double fairshare, double job_size, double qos) {
  return c.weight_age * age + c.weight_fairshare * fairshare + c.weight_job_size * job_size + c.weight_qos * qos;
}

void DecayedUsage::advance_to(double now_s, double half_life_s) {
  const double dt = now_s - updated_s;
  if (dt <= 0) return;
  const double keep = std::exp2(-dt / half_life_s);
  // The integral of gpus x 2^(-(now - t)/H) over the interval, plus the old usage decayed.
  gpu_s = gpu_s * keep + gpus * half_life_s / std::log(2.0) * (1 - keep);
  updated_s = now_s;
}

}  // namespace ct::cluster
