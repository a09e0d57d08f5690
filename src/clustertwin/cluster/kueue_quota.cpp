#include "clustertwin/cluster/kueue_quota.hpp"

#include <algorithm>
#include <map>

namespace ct::cluster {

KueueLedger::KueueLedger(const Tenants& tenants) {
  std::map<std::string, int> cohort_index;
  for (const Tenant& t : tenants.list) {
    nominal_.push_back(t.quota_gpus);
    lendable_.push_back(t.lending_limit_gpus == kNoLimit ? t.quota_gpus : t.lending_limit_gpus);
    borrowing_limit_.push_back(t.borrowing_limit_gpus);
    // A queue without a cohort is a cohort of its own: it borrows from nobody.
    const std::string key = t.cohort.empty() ? "\x01" + t.id : t.cohort;
    const auto [it, added] = cohort_index.emplace(key, static_cast<int>(pool_capacity_.size()));
    if (added) pool_capacity_.push_back(0), pool_used_.push_back(0);
    cohort_of_.push_back(it->second);
    pool_capacity_[it->second] += lendable_.back();
  }
  usage_.assign(tenants.list.size(), 0);
}

bool KueueLedger::admits(int t, int gpus) const {
  const int after = usage_[t] + gpus;
  if (borrowing_limit_[t] != kNoLimit && after > nominal_[t] + borrowing_limit_[t]) return false;
  const int c = cohort_of_[t];
  return pool_used_[c] - pool_draw(t, usage_[t]) + pool_draw(t, after) <= pool_capacity_[c];
}

int KueueLedger::max_usage(int t) const {
  const int by_cohort = guaranteed(t) + pool_capacity_[cohort_of_[t]];
  return borrowing_limit_[t] == kNoLimit ? by_cohort : std::min(by_cohort, nominal_[t] + borrowing_limit_[t]);
}

void KueueLedger::add(int t, int gpus) {
  const int c = cohort_of_[t];
  pool_used_[c] += pool_draw(t, usage_[t] + gpus) - pool_draw(t, usage_[t]);
  usage_[t] += gpus;
}

}  // namespace ct::cluster
