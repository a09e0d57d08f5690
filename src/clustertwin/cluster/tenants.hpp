#pragma once
// Tenants and their tiers. The tier decides what the quota-priority policy may do to a job:
//   internal  guaranteed quota; never preempted while within it
//   partner   per-partner quota; never preempted within it, preemptible above it (borrowing)
//   general   fair share by weight; preemptible by quota holders reclaiming their quota
//   spot      fills idle capacity; evicted first, by anyone
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ct::cluster {

enum class Tier { internal, partner, general, spot };
inline constexpr std::array<Tier, 4> kAllTiers = {Tier::internal, Tier::partner, Tier::general, Tier::spot};

const char* tier_name(Tier t);
Tier parse_tier(const std::string& s, const std::string& file, const std::string& field);

enum class DataClass { jp_restricted, jp_preferred, unrestricted };
inline constexpr std::array<DataClass, 3> kAllDataClasses = {DataClass::jp_restricted, DataClass::jp_preferred,
                                                             DataClass::unrestricted};
const char* data_class_name(DataClass c);
DataClass parse_data_class(const std::string& s, const std::string& file, const std::string& field);

// Kueue's limits (kueue.sigs.k8s.io/docs/concepts/cluster_queue, "Borrowing limit", "Lending
// limit"): absent = no limit.
inline constexpr int kNoLimit = -1;

struct Tenant {
  std::string id;
  Tier tier = Tier::general;
  int quota_gpus = 0;               // guaranteed (internal) or contracted (partner) GPUs, fleet-wide;
                                    // under --policy kueue the ClusterQueue's nominalQuota
  std::string cohort;               // kueue: ClusterQueues of one cohort lend each other unused quota
  int borrowing_limit_gpus = kNoLimit;  // kueue: most GPUs it may use beyond its nominal quota
  int lending_limit_gpus = kNoLimit;    // kueue: most of its unused nominal quota others may borrow
  double fair_share_weight = 1.0;   // share of the fleet under fairshare, relative to the others
  double submit_share = 0;          // fraction of generated jobs this tenant submits
  std::array<double, 3> data_class_share{0, 0, 1};  // indexed by DataClass, for generated jobs
};

struct Tenants {
  std::vector<Tenant> list;
  std::map<std::string, int> tenant_map;  // trace owner (virtual cluster, else user) -> tenant index
  std::vector<std::string> warnings;  // e.g. a quota tier with no quota: runs, said clearly

  int find(const std::string& id) const;  // -1 if absent
  // The tenant of a trace job: its owner through `tenant_map`; an owner not in the map goes to
  // tenant FNV-1a-64(owner) mod the number of tenants (deterministic on every platform, one
  // owner always to one tenant). `name` stands in for the owner when the trace records none.
  int tenant_of(const std::string& owner, const std::string& name) const;
};

// FNV-1a, 64 bit (Fowler, Noll, Vo; the IETF draft-eastlake-fnv): a hash that is the same on
// every platform, unlike std::hash.
std::uint64_t fnv1a_64(const std::string& s);

Tenants load_tenants(const std::string& path);

// One general-tier tenant (for trace replays without a tenants file).
Tenants single_tenant(const std::string& id);

}  // namespace ct::cluster
