#include "clustertwin/cluster/simulator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <tuple>

#include "clustertwin/cluster/event_heap.hpp"
#include "clustertwin/cluster/kueue_quota.hpp"
#include "clustertwin/cluster/occupancy.hpp"
#include "clustertwin/cluster/random.hpp"
#include "clustertwin/core/error.hpp"

namespace ct::cluster {

const char* policy_name(Policy p) {
  switch (p) {
    case Policy::fifo: return "fifo";
    case Policy::backfill: return "backfill";
    case Policy::fairshare: return "fairshare";
    case Policy::quota_priority: return "quota-priority";
    case Policy::kueue: return "kueue";
    case Policy::slurm_multifactor: return "slurm-multifactor";
  }
  return "?";
}

Policy parse_policy(const std::string& s) {
  for (Policy p : {Policy::fifo, Policy::backfill, Policy::fairshare, Policy::quota_priority, Policy::kueue, Policy::slurm_multifactor})
    if (s == policy_name(p)) return p;
  throw InputError("command line", "--policy", "unknown policy '" + s + "' (" + kPolicyNames + ")");
}

namespace {

constexpr double kNever = std::numeric_limits<double>::infinity();
constexpr double kMinStallWindowS = 30 * 86400.0;      // see stall_window()
constexpr double kMaxSimulatedS = 100 * 365 * 86400.0;  // no fleet study spans a century

// Quota-priority classes, most urgent first. A running job keeps the class it started with.
enum Class : int { kInternalInQuota = 0, kPartnerInQuota = 1, kGeneral = 2, kSpot = 3 };

// Lowest class a job of class `c` may preempt (kNoVictims: none).
constexpr int kNoVictims = 4;
int lowest_preemptible_class(int c) { return c <= kPartnerInQuota ? kGeneral : c == kGeneral ? kSpot : kNoVictims; }

enum class State : std::uint8_t { not_arrived, pending, running, done, rejected };

struct RunState {
  State state = State::not_arrived;
  int run_class = kGeneral;
  int pool = -1;
  std::uint32_t epoch = 0;
  double remaining_s = 0;  // run time left: restart overhead + work after the last checkpoint
  double overhead_s = 0;   // of which restart overhead (reload the checkpoint, warm up)
  double start_s = 0;      // of the current run
  double queue_order = 0;  // its key in its tenant's queue (see queue_order())
  int checkpoint_site = -1;
  Allocation alloc;
};

struct Reservation {
  int pool = -1;
  double shadow_s = kNever;  // when the blocked head is expected to fit
  double extra_gpus = 0;     // GPUs of that pool free at shadow_s beyond the head's need
};

using QueueKey = std::pair<double, int>;  // (order within the tenant's queue, job index)

class Simulator {
 public:
  Simulator(const Fleet& fleet, const Tenants& tenants, const std::vector<Job>& jobs, const SimOptions& opt)
      : fleet_(fleet), tenants_(tenants), jobs_(jobs), opt_(opt), occ_(fleet), rng_(opt.seed), kueue_(tenants) {
    run_.resize(jobs.size());
    result_.jobs.resize(jobs.size());
    result_.pool_busy_gpu_s.assign(fleet.pools.size(), 0.0);
    queues_.resize(tenants.list.size());
    tenant_gpus_.assign(tenants.list.size(), 0.0);
    tenant_quota_gpus_.assign(tenants.list.size(), 0);
    usage_.resize(tenants.list.size());
    fairshare_factor_.assign(tenants.list.size(), 1.0);
    running_by_end_.resize(fleet.pools.size());
    jobs_on_node_.resize(fleet.nodes.size());
    build_pool_masks();
    build_failure_sampler();
  }

  SimResult run();

 private:
  // ---- setup
  void build_pool_masks();
  void build_failure_sampler();
  std::uint64_t eligible_pools(const Job& j) const;
  std::string why_never_fits(const Job& j, std::uint64_t pools) const;

  // ---- events
  void arrive(int j);
  void finish(int j, double now);
  void interrupt(int j, double now, bool by_failure);
  void fail_nodes(double now);
  void repair_node(int node);
  void schedule_next_failure(double now);
  static bool preempts(Policy p);
  bool work_left() const { return next_arrival_ < jobs_.size() || pending_ > 0 || running_ > 0; }
  double stall_window() const;
  std::string why_stalled(double now, double last_progress_s, double window_s) const;
  void stop(double now, const std::string& why);

  // ---- scheduling
  void schedule_pass(double now);
  std::tuple<int, double, double, int> queue_key(int j) const;
  int priority_class(int j) const;
  bool quota_allows(int j) const { return opt_.policy != Policy::kueue || kueue_.admits(jobs_[j].tenant, whole_gpus(j)); }
  bool may_preempt(int j, int victim, int j_class) const;
  double queue_order(int j) const;
  void enqueue(int j);
  void update_fairshare_factors(double now);
  double multifactor_priority_of(int j, double now) const;
  std::string why_quota_never_admits(int j) const;
  double share_ratio(int tenant) const { return tenant_gpus_[tenant] / tenants_.list[tenant].fair_share_weight; }
  template <class PoolFilter>
  bool try_start(int j, double now, PoolFilter allowed);
  bool try_preempt_for(int j, double now);
  std::vector<int> victims_in_pool(int pool, int j) const;
  Reservation reserve_for(int j, double now) const;
  bool backfill(int j, double now, Reservation& r);
  void commit(int j, int pool, Allocation alloc, double now);
  void check_residency(int j, int pool);
  void release(int j, double now);
  void record_busy(Tier tier, double from_s, double to_s, double gpus);

  double job_gpus(int j) const { return jobs_[j].gpu_share(); }
  // Whole GPUs a job keeps from others: a shared GPU counts as one.
  int whole_gpus(int j) const { return jobs_[j].gpus; }

  const Fleet& fleet_;
  const Tenants& tenants_;
  const std::vector<Job>& jobs_;
  const SimOptions& opt_;
  Occupancy occ_;
  std::mt19937_64 rng_;
  EventHeap events_;
  SimResult result_;

  std::vector<RunState> run_;
  KueueLedger kueue_;                                    // kueue only
  std::vector<DecayedUsage> usage_;                      // slurm-multifactor: per tenant
  std::vector<double> fairshare_factor_;                 // slurm-multifactor: per tenant, this pass
  double now_ = 0;                                       // time of the current scheduling pass
  std::vector<std::set<QueueKey>> queues_;               // pending jobs per tenant
  std::vector<double> tenant_gpus_;                      // GPUs held now, per tenant
  std::vector<int> tenant_quota_gpus_;                   // of which within quota
  std::vector<std::set<std::pair<double, int>>> running_by_end_;  // per pool: (expected end, job)
  std::vector<std::vector<int>> jobs_on_node_;
  std::uint64_t all_pools_ = 0, jp_pools_ = 0;
  std::map<std::string, std::uint64_t> pools_of_type_;
  std::vector<std::uint64_t> job_pools_;
  std::vector<long long> cumulative_gpus_;               // node i covers [cum[i-1], cum[i])
  std::size_t next_arrival_ = 0;
  int pending_ = 0, running_ = 0;
  long long progress_ = 0;  // arrivals, finishes and rejections so far (the stall detector's clock)
  bool dirty_ = false;
  // Counts starts and releases: queue keys computed at an older version are stale.
  std::uint64_t state_version_ = 0;
  static constexpr std::uint64_t kStale = ~std::uint64_t{0};
};

void Simulator::build_pool_masks() {
  for (std::size_t p = 0; p < fleet_.pools.size(); ++p) {
    const std::uint64_t bit = std::uint64_t{1} << p;
    all_pools_ |= bit;
    if (fleet_.site_of_pool(static_cast<int>(p)).in_japan()) jp_pools_ |= bit;
    pools_of_type_[fleet_.pools[p].gpu_type] |= bit;
  }
}

void Simulator::build_failure_sampler() {
  long long total = 0;
  for (const Node& n : fleet_.nodes) cumulative_gpus_.push_back(total += n.gpus);
}

std::uint64_t Simulator::eligible_pools(const Job& j) const {
  std::uint64_t mask = all_pools_;
  if (!j.gpu_types.empty()) {
    mask = 0;
    for (const std::string& t : j.gpu_types) {
      auto it = pools_of_type_.find(t);
      if (it != pools_of_type_.end()) mask |= it->second;
    }
  }
  // A job whose run time was simulated on one system runs on that system only.
  if (!j.system.empty())
    for (std::size_t p = 0; p < fleet_.pools.size(); ++p)
      if (fleet_.pools[p].system_id != j.system) mask &= ~(std::uint64_t{1} << p);
  // The residency rule as a filter; check_residency() is the independent backstop.
  if (j.data_class == DataClass::jp_restricted && !opt_.test_only_drop_residency_filter) mask &= jp_pools_;
  return mask;
}

std::string Simulator::why_never_fits(const Job& j, std::uint64_t pools) const {
  if (pools == 0) {
    Job anywhere = j;
    anywhere.data_class = DataClass::unrestricted;
    if (j.data_class == DataClass::jp_restricted && eligible_pools(anywhere) != 0)
      return "jp_restricted and no pool of its GPU type in jurisdiction JP";
    return "no pool of its GPU type";
  }
  for (std::size_t p = 0; p < fleet_.pools.size(); ++p) {
    if (!(pools >> p & 1)) continue;
    const Pool& pool = fleet_.pools[p];
    const int limit = j.single_domain_required ? pool.max_domain_gpus : pool.gpus;
    if (j.gpus <= limit) return "";
  }
  return j.single_domain_required ? "needs " + std::to_string(j.gpus) + " GPUs in one NVLink domain; no eligible pool has one that big"
                                  : "needs " + std::to_string(j.gpus) + " GPUs; larger than every eligible pool";
}

// ------------------------------------------------------------------------------------ events

void Simulator::arrive(int j) {
  const Job& job = jobs_[j];
  ++progress_;
  const std::uint64_t pools = eligible_pools(job);
  job_pools_[j] = pools;
  std::string why = job.gpus <= 0 ? "asks for no GPUs" : why_never_fits(job, pools);
  if (why.empty()) why = why_quota_never_admits(j);
  if (!why.empty()) {
    run_[j].state = State::rejected;
    result_.jobs[j].rejected = why;
    return;
  }
  run_[j].state = State::pending;
  run_[j].remaining_s = job.run_time_s();
  enqueue(j);
  dirty_ = true;
}

std::string Simulator::why_quota_never_admits(int j) const {
  const int t = jobs_[j].tenant;
  if (opt_.policy != Policy::kueue || whole_gpus(j) <= kueue_.max_usage(t)) return "";
  return "tenant '" + tenants_.list[t].id + "' can never hold " + std::to_string(whole_gpus(j)) + " GPUs under kueue (nominal quota " +
         std::to_string(tenants_.list[t].quota_gpus) + " plus what its cohort and borrowing limit allow: " +
         std::to_string(kueue_.max_usage(t)) + ")";
}

// Smaller first. Submit order, except under slurm-multifactor: the priority without the age
// cap, which orders one tenant's jobs the same at every time (age grows alike for all).
double Simulator::queue_order(int j) const {
  const Job& job = jobs_[j];
  if (opt_.policy != Policy::slurm_multifactor) return job.submit_s;
  const MultifactorConfig& c = opt_.multifactor;
  return c.weight_age * job.submit_s / c.max_age_s - c.weight_job_size * whole_gpus(j) / fleet_.total_gpus();
}

void Simulator::enqueue(int j) {
  run_[j].queue_order = queue_order(j);
  queues_[jobs_[j].tenant].insert({run_[j].queue_order, j});
  ++pending_;
}

void Simulator::release(int j, double now) {
  RunState& r = run_[j];
  const double elapsed_s = now - r.start_s;
  result_.jobs[j].run_gpu_s += elapsed_s * job_gpus(j);
  result_.pool_busy_gpu_s[r.pool] += elapsed_s * job_gpus(j);
  record_busy(tenants_.list[jobs_[j].tenant].tier, r.start_s, now, job_gpus(j));
  occ_.release(r.alloc);
  for (const Slice& s : r.alloc) {
    auto& on = jobs_on_node_[s.node];
    on.erase(std::find(on.begin(), on.end(), j));
  }
  r.alloc.clear();
  running_by_end_[r.pool].erase({r.start_s + r.remaining_s, j});
  const int t = jobs_[j].tenant;
  usage_[t].advance_to(now, opt_.multifactor.decay_half_life_s);
  usage_[t].gpus -= job_gpus(j);
  kueue_.add(t, -whole_gpus(j));
  tenant_gpus_[t] -= job_gpus(j);
  if (r.run_class <= kPartnerInQuota) tenant_quota_gpus_[t] -= whole_gpus(j);
  ++r.epoch;
  --running_;
  ++state_version_;
  dirty_ = true;
}

void Simulator::record_busy(Tier tier, double from_s, double to_s, double gpus) {
  auto& bins = result_.busy_gpu_s_by_bin_and_tier;
  const double bin_s = SimResult::kTimelineBinS;
  from_s -= result_.timeline_origin_s, to_s -= result_.timeline_origin_s;
  for (auto k = static_cast<std::size_t>(from_s / bin_s); k * bin_s < to_s; ++k) {
    if (k >= bins.size()) bins.resize(k + 1, {});
    const double overlap_s = std::min(to_s, (k + 1) * bin_s) - std::max(from_s, k * bin_s);
    bins[k][static_cast<int>(tier)] += overlap_s * gpus;
  }
}

void Simulator::finish(int j, double now) {
  result_.jobs[j].lost_gpu_s += run_[j].overhead_s * job_gpus(j);  // the last restart's overhead
  release(j, now);
  run_[j].state = State::done;
  run_[j].remaining_s = 0;
  ++progress_;
  result_.jobs[j].finish_s = now;
  result_.makespan_s = std::max(result_.makespan_s, now);
}

void Simulator::interrupt(int j, double now, bool by_failure) {
  RunState& r = run_[j];
  const Job& job = jobs_[j];
  const double elapsed_s = now - r.start_s;
  // Work survives up to the last checkpoint written during this run, after its restart overhead:
  // the run is a sequence of (interval of compute + one write) periods.
  const double work_left_s = r.remaining_s - r.overhead_s;
  const double worked_s = std::max(0.0, elapsed_s - r.overhead_s);
  const double period_s = job.checkpoint_interval_s + job.checkpoint_write_s;
  const double saved_s = job.checkpoint_interval_s > 0 ? std::min(work_left_s, std::floor(worked_s / period_s) * period_s) : 0.0;
  result_.jobs[j].lost_gpu_s += (elapsed_s - saved_s) * job_gpus(j);
  if (by_failure) ++result_.jobs[j].failures;
  else ++result_.jobs[j].preemptions;
  release(j, now);
  // A job that never checkpointed restarts from zero: no checkpoint constrains where it reruns.
  if (job.checkpoint_interval_s <= 0) r.checkpoint_site = -1;
  r.remaining_s = work_left_s - saved_s + opt_.restart_s;
  r.overhead_s = opt_.restart_s;
  r.state = State::pending;
  enqueue(j);  // back in its original position
}

void Simulator::fail_nodes(double now) {
  const long long gpu = static_cast<long long>(uniform01(rng_) * cumulative_gpus_.back());
  const int node = static_cast<int>(std::upper_bound(cumulative_gpus_.begin(), cumulative_gpus_.end(), gpu) -
                                    cumulative_gpus_.begin());
  std::vector<double> shares;
  for (const FailureCause& c : opt_.failures.causes) shares.push_back(c.share);
  const FailureCause& cause = opt_.failures.causes[weighted_index(rng_, shares)];
  int first = node, count = 1;
  if (cause.blast_radius == BlastRadius::domain) {
    const Domain& d = fleet_.domains[fleet_.nodes[node].domain];
    first = d.first_node, count = d.node_count;
  }
  for (int n = first; n < first + count; ++n) {
    if (!occ_.node_up(n)) continue;  // already down: the hazard of a dead node is moot
    ++result_.node_failures;
    while (!jobs_on_node_[n].empty()) interrupt(jobs_on_node_[n].front(), now, true);
    occ_.set_node_down(n);
    events_.push(now + opt_.failures.repair_s, EventKind::repair, n);
  }
}

void Simulator::repair_node(int node) {
  occ_.set_node_up(node);
  dirty_ = true;
}

void Simulator::schedule_next_failure(double now) {
  if (opt_.failures.per_gpu_hour <= 0 || cumulative_gpus_.empty() || !work_left()) return;
  const double rate_per_s = opt_.failures.per_gpu_s() * static_cast<double>(cumulative_gpus_.back());
  events_.push(now + exponential(rng_, rate_per_s), EventKind::failure, -1);
}

// -------------------------------------------------------------------------------- scheduling

int Simulator::priority_class(int j) const {
  const Job& job = jobs_[j];
  const Tenant& t = tenants_.list[job.tenant];
  // kueue: within nominal quota, or on borrowed quota (reclaimable); multifactor: the tier (QOS).
  if (opt_.policy == Policy::kueue) return kueue_.within_nominal(job.tenant, whole_gpus(j)) ? kPartnerInQuota : kGeneral;
  if (opt_.policy == Policy::slurm_multifactor) return static_cast<int>(t.tier);
  const bool in_quota = tenant_quota_gpus_[job.tenant] + whole_gpus(j) <= t.quota_gpus;
  switch (t.tier) {
    case Tier::internal: return in_quota ? kInternalInQuota : kGeneral;
    case Tier::partner: return in_quota ? kPartnerInQuota : kGeneral;
    case Tier::general: return kGeneral;
    case Tier::spot: return kSpot;
  }
  return kGeneral;
}

// Smaller is considered first.
std::tuple<int, double, double, int> Simulator::queue_key(int j) const {
  const Job& job = jobs_[j];
  switch (opt_.policy) {
    case Policy::fifo:
    case Policy::backfill: return {0, 0.0, job.submit_s, j};
    case Policy::fairshare: return {0, share_ratio(job.tenant), job.submit_s, j};
    case Policy::quota_priority: {
      const int c = priority_class(j);
      return {c, c == kGeneral ? share_ratio(job.tenant) : 0.0, job.submit_s, j};
    }
    case Policy::kueue: return {priority_class(j), 0.0, job.submit_s, j};
    case Policy::slurm_multifactor: return {0, -multifactor_priority_of(j, now_), job.submit_s, j};
  }
  return {0, 0.0, job.submit_s, j};
}

double Simulator::multifactor_priority_of(int j, double now) const {
  const Job& job = jobs_[j];
  const MultifactorConfig& c = opt_.multifactor;
  const Tier tier = tenants_.list[job.tenant].tier;
  return multifactor_priority(c, age_factor(now - job.submit_s, c.max_age_s), fairshare_factor_[job.tenant],
                              double(whole_gpus(j)) / fleet_.total_gpus(), c.qos_factor(tier));
}

void Simulator::update_fairshare_factors(double now) {
  double total_usage = 0, total_weight = 0;
  for (std::size_t t = 0; t < usage_.size(); ++t) {
    usage_[t].advance_to(now, opt_.multifactor.decay_half_life_s);
    total_usage += usage_[t].gpu_s;
    total_weight += tenants_.list[t].fair_share_weight;
  }
  for (std::size_t t = 0; t < usage_.size(); ++t) {
    const double usage_share = total_usage > 0 ? usage_[t].gpu_s / total_usage : 0.0;
    fairshare_factor_[t] = classic_fairshare_factor(usage_share, tenants_.list[t].fair_share_weight / total_weight);
  }
}

void Simulator::check_residency(int j, int pool) {
  ++result_.residency_checks;
  const Job& job = jobs_[j];
  if (job.data_class != DataClass::jp_restricted) return;
  const Site& site = fleet_.site_of_pool(pool);
  if (!site.in_japan())
    throw std::logic_error("data residency violated: jp_restricted job '" + job.name + "' placed at site '" + site.id +
                           "' (jurisdiction " + site.jurisdiction + ") by policy " + policy_name(opt_.policy));
  const int ckpt = run_[j].checkpoint_site;
  if (ckpt >= 0 && !fleet_.sites[ckpt].in_japan())
    throw std::logic_error("data residency violated: jp_restricted job '" + job.name + "' restarts from a checkpoint at site '" +
                           fleet_.sites[ckpt].id + "' (jurisdiction " + fleet_.sites[ckpt].jurisdiction + ")");
}

void Simulator::commit(int j, int pool, Allocation alloc, double now) {
  check_residency(j, pool);
  RunState& r = run_[j];
  const Job& job = jobs_[j];
  r.run_class = priority_class(j);
  r.state = State::running;
  r.pool = pool;
  r.start_s = now;
  r.alloc = std::move(alloc);
  // Checkpoints are written to the storage of the site the job runs at.
  r.checkpoint_site = fleet_.pools[pool].site;
  for (const Slice& s : r.alloc) jobs_on_node_[s.node].push_back(j);
  running_by_end_[pool].insert({now + r.remaining_s, j});
  usage_[job.tenant].advance_to(now, opt_.multifactor.decay_half_life_s);
  usage_[job.tenant].gpus += job_gpus(j);
  kueue_.add(job.tenant, whole_gpus(j));
  tenant_gpus_[job.tenant] += job_gpus(j);
  if (r.run_class <= kPartnerInQuota) tenant_quota_gpus_[job.tenant] += whole_gpus(j);
  JobOutcome& o = result_.jobs[j];
  if (o.first_start_s < 0) o.first_start_s = now;
  o.site = fleet_.pools[pool].site;
  queues_[job.tenant].erase({r.queue_order, j});
  --pending_;
  ++running_;
  ++state_version_;
  ++result_.placements;
  events_.push(now + r.remaining_s, EventKind::finish, j, r.epoch);
}

template <class PoolFilter>
bool Simulator::try_start(int j, double now, PoolFilter allowed) {
  if (!quota_allows(j)) return false;
  const Job& job = jobs_[j];
  const std::uint64_t pools = job_pools_[j];
  // jp_preferred: Japanese pools first, then the rest; otherwise fleet order.
  const std::uint64_t first = job.data_class == DataClass::jp_preferred ? pools & jp_pools_ : pools;
  Allocation alloc;
  for (std::uint64_t pass_mask : {first, pools & ~first}) {
    for (std::uint64_t m = pass_mask; m; m &= m - 1) {
      const int p = std::countr_zero(m);
      if (!allowed(p)) continue;
      if (occ_.place(p, job.gpus, job.gpu_milli, job.single_domain_required, alloc)) {
        commit(j, p, std::move(alloc), now);
        return true;
      }
    }
  }
  return false;
}

// Whether pending job `j` (of class `j_class`) may evict running job `victim` under the policy.
bool Simulator::may_preempt(int j, int victim, int j_class) const {
  const int t = jobs_[j].tenant, vt = jobs_[victim].tenant;
  switch (opt_.policy) {
    case Policy::quota_priority: return run_[victim].run_class >= lowest_preemptible_class(j_class);
    case Policy::kueue:  // reclaimWithinCohort: only a job within nominal quota, from borrowers
      return j_class == kPartnerInQuota && vt != t && kueue_.same_cohort(t, vt) && run_[victim].run_class == kGeneral &&
             kueue_.borrowing(vt);
    case Policy::slurm_multifactor: return opt_.multifactor.qos_preempts(tenants_.list[t].tier, tenants_.list[vt].tier);
    default: return false;
  }
}

std::vector<int> Simulator::victims_in_pool(int pool, int j) const {
  const int j_class = priority_class(j);
  std::vector<int> candidates;
  for (const auto& [end_s, v] : running_by_end_[pool])
    if (may_preempt(j, v, j_class)) candidates.push_back(v);
  // Evict the lowest class first, and within it the most recently started (least work lost).
  std::sort(candidates.begin(), candidates.end(), [&](int a, int b) {
    return std::tie(run_[b].run_class, run_[a].start_s, a) < std::tie(run_[a].run_class, run_[b].start_s, b);
  });
  // Enough = the GPUs are free in this pool and (kueue) the cohort's quota admits the job.
  std::vector<int> victims;
  int freed = occ_.pool_free_gpus(pool);
  const bool kueue = opt_.policy == Policy::kueue;
  std::optional<KueueLedger> quota_after;
  if (kueue) quota_after = kueue_;
  auto enough = [&] { return freed >= whole_gpus(j) && (!kueue || quota_after->admits(jobs_[j].tenant, whole_gpus(j))); };
  for (int v : candidates) {
    if (enough()) break;
    if (kueue && !quota_after->borrowing(jobs_[v].tenant)) continue;  // reclaim only what is borrowed
    victims.push_back(v);
    if (kueue) quota_after->add(jobs_[v].tenant, -whole_gpus(v));
    for (const Slice& s : run_[v].alloc)
      if (occ_.node_up(s.node)) freed += std::popcount(s.gpu_mask);
  }
  return enough() ? victims : std::vector<int>{};
}

bool Simulator::try_preempt_for(int j, double now) {
  if (opt_.policy == Policy::quota_priority && lowest_preemptible_class(priority_class(j)) == kNoVictims) return false;
  if (opt_.policy == Policy::kueue && priority_class(j) != kPartnerInQuota) return false;  // only within nominal quota
  for (std::uint64_t m = job_pools_[j]; m; m &= m - 1) {
    const int p = std::countr_zero(m);
    const std::vector<int> victims = victims_in_pool(p, j);
    if (victims.empty()) continue;
    for (int v : victims) interrupt(v, now, false);
    // Enough GPUs are free by count; a single-domain job may still not fit, or (kueue) the
    // cohort still lack quota: then it waits.
    Allocation alloc;
    if (quota_allows(j) && occ_.place(p, jobs_[j].gpus, jobs_[j].gpu_milli, jobs_[j].single_domain_required, alloc)) {
      commit(j, p, std::move(alloc), now);
      return true;
    }
    return false;
  }
  return false;
}

Reservation Simulator::reserve_for(int j, double now) const {
  Reservation best;
  const int need = whole_gpus(j);
  for (std::uint64_t m = job_pools_[j]; m; m &= m - 1) {
    const int p = std::countr_zero(m);
    double free_gpus = occ_.pool_free_gpus(p);
    double shadow_s = free_gpus >= need ? now : kNever;
    for (auto it = running_by_end_[p].begin(); it != running_by_end_[p].end() && free_gpus < need; ++it) {
      free_gpus += whole_gpus(it->second);
      shadow_s = it->first;
    }
    if (free_gpus < need) continue;
    if (shadow_s < best.shadow_s) best = {p, shadow_s, free_gpus - need};
  }
  return best;
}

bool Simulator::backfill(int j, double now, Reservation& r) {
  // A job that ends before the reservation delays nobody; one that runs past it may use only
  // GPUs the reserved job will not need.
  if (now + run_[j].remaining_s <= r.shadow_s) return try_start(j, now, [](int) { return true; });
  const bool fits_in_extra = whole_gpus(j) <= r.extra_gpus;
  const bool started = try_start(j, now, [&](int p) { return p != r.pool || fits_in_extra; });
  if (started && run_[j].pool == r.pool) r.extra_gpus -= whole_gpus(j);
  return started;
}

bool Simulator::preempts(Policy p) { return p == Policy::quota_priority || p == Policy::kueue || p == Policy::slurm_multifactor; }

void Simulator::schedule_pass(double now) {
  if (!dirty_) return;
  dirty_ = false;
  now_ = now;
  if (opt_.policy == Policy::slurm_multifactor) update_fairshare_factors(now);
  std::vector<std::set<QueueKey>::iterator> cursor(queues_.size());
  for (std::size_t t = 0; t < queues_.size(); ++t) cursor[t] = queues_[t].begin();
  // Each tenant's next key, kept until its cursor moves or a start or release changes the shares
  // and quotas keys depend on (most of a blocked pass starts nothing).
  using Key = std::tuple<int, double, double, int>;
  std::vector<Key> key(queues_.size());
  std::vector<std::uint64_t> key_version(queues_.size(), kStale);
  bool blocked = false;
  Reservation reservation;
  int examined_behind_head = 0;
  while (true) {
    int pick = -1;
    for (std::size_t t = 0; t < queues_.size(); ++t) {
      if (cursor[t] == queues_[t].end()) continue;
      if (key_version[t] != state_version_) key[t] = queue_key(cursor[t]->second), key_version[t] = state_version_;
      if (pick < 0 || key[t] < key[pick]) pick = static_cast<int>(t);
    }
    if (pick < 0) return;
    const int j = cursor[pick]->second;
    const auto next = std::next(cursor[pick]);  // commit() erases the current entry
    key_version[pick] = kStale;
    if (!blocked) {
      const bool started = try_start(j, now, [](int) { return true; }) || (preempts(opt_.policy) && try_preempt_for(j, now));
      cursor[pick] = next;
      if (started) continue;
      if (opt_.policy == Policy::fifo) return;
      // kueue's BestEffortFIFO: no reservation; the next job is tried, up to the depth.
      if (opt_.policy == Policy::kueue) {
        if (++examined_behind_head > opt_.backfill_depth) return;
        continue;
      }
      blocked = true;
      reservation = reserve_for(j, now);
      continue;
    }
    if (++examined_behind_head > opt_.backfill_depth) return;
    backfill(j, now, reservation);
    cursor[pick] = next;
  }
}

// Failures that outpace the work (a high rate, long repairs, jobs without checkpoints) restart jobs
// forever; the run then stops with the reason instead of never ending. Progress is a job arriving,
// finishing or being rejected; the window is ten times the longest uninterrupted run plus a repair
// and a restart, at least 30 days, so a slow but moving run is never cut.
double Simulator::stall_window() const {
  double longest_s = 0;
  for (const Job& j : jobs_) longest_s = std::max(longest_s, j.run_time_s());
  return std::max(kMinStallWindowS, 10 * (longest_s + opt_.failures.repair_s + opt_.restart_s));
}

std::string Simulator::why_stalled(double now, double last_progress_s, double window_s) const {
  if (now - result_.timeline_origin_s > kMaxSimulatedS)
    return fmt::format("simulated time passed {:.0f} years", kMaxSimulatedS / (365 * 86400.0));
  if (!work_left() || now - last_progress_s <= window_s) return "";
  return fmt::format("no job finished, arrived or was rejected for {:.0f} days of simulated time while {} jobs waited or ran "
                     "(failures outpace progress: {:g} per GPU-hour, {:.0f} h repair)",
                     (now - last_progress_s) / 86400, pending_ + running_, opt_.failures.per_gpu_hour,
                     opt_.failures.repair_s / 3600);
}

// Ends the run at `now`: running jobs give back their GPUs (their time so far counted), and every
// unfinished job is reported as rejected with the reason.
void Simulator::stop(double now, const std::string& why) {
  for (std::size_t j = 0; j < jobs_.size(); ++j) {
    if (run_[j].state == State::running) release(static_cast<int>(j), now);
    if (run_[j].state != State::running && run_[j].state != State::pending) continue;
    run_[j].state = State::rejected;
    result_.jobs[j].rejected = "not finished when the simulation stopped: " + why;
  }
  result_.makespan_s = std::max(result_.makespan_s, now);
  result_.warnings.push_back("simulation stopped: " + why);
  result_.stopped = why;
}

SimResult Simulator::run() {
  job_pools_.assign(jobs_.size(), 0);
  for (std::size_t i = 1; i < jobs_.size(); ++i)
    if (jobs_[i].submit_s < jobs_[i - 1].submit_s) throw std::logic_error("simulate: jobs must be sorted by submit time");
  result_.timeline_origin_s = jobs_.empty() ? 0.0 : jobs_.front().submit_s;
  schedule_next_failure(result_.timeline_origin_s);
  const double stall_window_s = stall_window();
  double last_progress_s = result_.timeline_origin_s;
  long long progress_seen = 0;
  while (next_arrival_ < jobs_.size() || !events_.empty()) {
    const double t_arrival = next_arrival_ < jobs_.size() ? jobs_[next_arrival_].submit_s : kNever;
    const double t_event = events_.empty() ? kNever : events_.top().time_s;
    const double now = std::min(t_arrival, t_event);
    if (progress_ != progress_seen) {
      if (opt_.progress && progress_ / 1024 != progress_seen / 1024)
        opt_.progress(static_cast<int>(progress_), 2 * static_cast<int>(jobs_.size()));
      progress_seen = progress_, last_progress_s = now;
    }
    if (const std::string why = why_stalled(now, last_progress_s, stall_window_s); !why.empty()) {
      stop(now, why);
      break;
    }
    // Everything that happens at `now` first, then one scheduling pass.
    while (!events_.empty() && events_.top().time_s == now) {
      const Event e = events_.pop();
      ++result_.events;
      switch (e.kind) {
        case EventKind::finish:
          if (run_[e.target].state == State::running && run_[e.target].epoch == e.epoch) finish(e.target, now);
          break;
        case EventKind::failure:
          fail_nodes(now);
          schedule_next_failure(now);
          break;
        case EventKind::repair: repair_node(e.target); break;
      }
    }
    while (next_arrival_ < jobs_.size() && jobs_[next_arrival_].submit_s == now) {
      arrive(static_cast<int>(next_arrival_++));
      ++result_.events;
    }
    schedule_pass(now);
  }
  if (opt_.progress) opt_.progress(2 * static_cast<int>(jobs_.size()), 2 * static_cast<int>(jobs_.size()));  // closes the bar
  for (std::size_t j = 0; j < jobs_.size(); ++j)
    if (run_[j].state == State::pending || run_[j].state == State::running)
      throw std::logic_error("simulate: job '" + jobs_[j].name + "' neither finished nor rejected");
  return std::move(result_);
}

}  // namespace

SimResult simulate(const Fleet& fleet, const Tenants& tenants, const std::vector<Job>& jobs, const SimOptions& options) {
  for (const Job& j : jobs)
    if (j.tenant < 0 || j.tenant >= static_cast<int>(tenants.list.size()))
      throw std::logic_error("simulate: job '" + j.name + "' has no tenant");
  return Simulator(fleet, tenants, jobs, options).run();
}

}  // namespace ct::cluster
