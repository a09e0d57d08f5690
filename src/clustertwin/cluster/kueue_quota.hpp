#pragma once
// Kueue-style quota accounting (kueue.sigs.k8s.io/docs/concepts/cluster_queue; lending limits:
// KEP-1224). Each tenant is a ClusterQueue with a nominal quota of GPUs (Tenant::quota_gpus).
// ClusterQueues of one cohort lend each other their unused nominal quota:
//   - lendingLimit: at most this much of a queue's nominal quota is lent; the rest
//     (nominal - lendingLimit) is its own even when idle ("guaranteed").
//   - borrowingLimit: a queue uses at most nominal + borrowingLimit.
// Accounting: a queue's usage beyond its guaranteed part draws on the cohort's pool, whose size
// is the sum of the members' lendable quota (lendingLimit, or all of the nominal quota). A job
// is admitted if the queue stays within nominal + borrowingLimit and the pool is not overdrawn.
// A queue without a cohort can use its nominal quota only.
#include <vector>

#include "clustertwin/cluster/tenants.hpp"

namespace ct::cluster {

class KueueLedger {
 public:
  explicit KueueLedger(const Tenants& tenants);

  bool admits(int tenant, int gpus) const;
  bool within_nominal(int tenant, int gpus) const { return usage_[tenant] + gpus <= nominal_[tenant]; }
  bool borrowing(int tenant) const { return usage_[tenant] > nominal_[tenant]; }
  bool same_cohort(int a, int b) const { return cohort_of_[a] == cohort_of_[b]; }
  int max_usage(int tenant) const;  // the most GPUs the queue could ever hold
  void add(int tenant, int gpus);   // negative to release
  int usage(int tenant) const { return usage_[tenant]; }

 private:
  int guaranteed(int t) const { return nominal_[t] - lendable_[t]; }
  int pool_draw(int t, int usage) const { return usage > guaranteed(t) ? usage - guaranteed(t) : 0; }

  std::vector<int> nominal_, lendable_, borrowing_limit_, cohort_of_, usage_;
  std::vector<int> pool_capacity_, pool_used_;  // per cohort
};

}  // namespace ct::cluster
