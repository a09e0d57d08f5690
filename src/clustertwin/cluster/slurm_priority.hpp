#pragma once
// Slurm's priority/multifactor plugin (slurm.schedmd.com/priority_multifactor.html):
//   priority = PriorityWeightAge x age + PriorityWeightFairshare x fair-share
//            + PriorityWeightJobSize x job size + PriorityWeightQOS x QOS,
// every factor in [0, 1]:
//   age        min(time queued / PriorityMaxAge, 1)
//   fair-share 2^(-U/S), the classic algorithm (slurm.schedmd.com/classic_fair_share.html):
//              U = the tenant's share of the fleet's usage, decayed with PriorityDecayHalfLife;
//              S = its normalised shares (fair_share_weight / sum of weights)
//   job size   GPUs / fleet GPUs (PriorityFavorSmall=NO: larger jobs first)
//   QOS        the QOS's priority / the largest QOS priority
// Partition, association, nice and TRES factors are not modelled. QOS preemption
// (PreemptType=preempt/qos, slurm.schedmd.com/preempt.html): a pending job may preempt running
// jobs whose QOS is in its QOS's Preempt list. Here each tier is one QOS.
#include <array>
#include <string>
#include <vector>

#include "clustertwin/cluster/tenants.hpp"

namespace ct::cluster {

struct Qos {
  double priority = 0;
  std::vector<Tier> preempts;
};

struct MultifactorConfig {
  double weight_age = 0, weight_fairshare = 0, weight_job_size = 0, weight_qos = 0;
  double max_age_s = 1, decay_half_life_s = 1;
  std::array<Qos, kAllTiers.size()> qos_by_tier;

  double qos_factor(Tier t) const;
  bool qos_preempts(Tier preemptor, Tier victim) const;
};

// data/cluster/slurm-multifactor.yaml; every number cites its source.
MultifactorConfig load_multifactor_config(const std::string& path);

double age_factor(double queued_s, double max_age_s);
double classic_fairshare_factor(double usage_share, double normalized_shares);
double multifactor_priority(const MultifactorConfig& c, double age, double fairshare, double job_size, double qos);

// A tenant's GPU-seconds with exponential decay (half-life), advanced lazily: between updates
// it holds `gpus` GPUs.
struct DecayedUsage {
  double gpu_s = 0, gpus = 0, updated_s = 0;
  void advance_to(double now_s, double half_life_s);
};

}  // namespace ct::cluster
