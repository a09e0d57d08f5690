#include "clustertwin/cluster/tenants.hpp"

#include <cmath>

#include "clustertwin/core/error.hpp"
#include "clustertwin/core/number_check.hpp"
#include "clustertwin/core/yaml_util.hpp"

namespace ct::cluster {

const char* tier_name(Tier t) {
  switch (t) {
    case Tier::internal: return "internal";
    case Tier::partner: return "partner";
    case Tier::general: return "general";
    case Tier::spot: return "spot";
  }
  return "?";
}

Tier parse_tier(const std::string& s, const std::string& file, const std::string& field) {
  for (Tier t : kAllTiers)
    if (s == tier_name(t)) return t;
  throw InputError(file, field, "unknown tier '" + s + "' (internal, partner, general, spot)");
}

const char* data_class_name(DataClass c) {
  switch (c) {
    case DataClass::jp_restricted: return "jp_restricted";
    case DataClass::jp_preferred: return "jp_preferred";
    case DataClass::unrestricted: return "unrestricted";
  }
  return "?";
}

DataClass parse_data_class(const std::string& s, const std::string& file, const std::string& field) {
  for (DataClass c : kAllDataClasses)
    if (s == data_class_name(c)) return c;
  throw InputError(file, field, "unknown data class '" + s + "' (jp_restricted, jp_preferred, unrestricted)");
}

int Tenants::find(const std::string& id) const {
  for (std::size_t i = 0; i < list.size(); ++i)
    if (list[i].id == id) return static_cast<int>(i);
  return -1;
}

static std::array<double, 3> load_data_class_shares(const YAML::Node& node, const std::string& file,
                                                    const std::string& where) {
  std::array<double, 3> shares{0, 0, 0};
  if (!node) return {0, 0, 1};
  if (!node.IsMap()) throw InputError(file, where, "must map data classes to shares");
  double total = 0;
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    const DataClass c = parse_data_class(key, file, where + "." + key);
    shares[static_cast<int>(c)] = yaml_number(node, key, file, where);
    if (shares[static_cast<int>(c)] < 0) throw InputError(file, where + "." + key, "must be >= 0");
    total += shares[static_cast<int>(c)];
  }
  if (total <= 0) throw InputError(file, where, "shares sum to 0");
  for (double& s : shares) s /= total;
  return shares;
}

// GPU counts of a tenants file, each and summed over the tenants: beyond any fleet, and small
// enough that the kueue ledger's int sums (quota + borrowing, a cohort's pool) cannot overflow.
constexpr NumberRule kGpuCountRule{0, 1 << 24, true};

// A whole number of GPUs >= 0, or `fallback` when the key is absent.
static int load_gpu_count(const YAML::Node& y, const std::string& key, int fallback, const std::string& file,
                          const std::string& where) {
  if (!y[key] || y[key].IsNull()) return fallback;
  return static_cast<int>(check_count(yaml_number(y, key, file, where), kGpuCountRule, file, where + "." + key));
}

static Tenant load_tenant(const YAML::Node& y, const std::string& file, const std::string& where) {
  Tenant t;
  t.id = yaml_string(y, "id", file, where);
  t.tier = parse_tier(yaml_string(y, "tier", file, where), file, where + ".tier");
  t.quota_gpus = load_gpu_count(y, "quota_gpus", 0, file, where);
  t.cohort = yaml_string_or(y, "cohort", "");
  t.borrowing_limit_gpus = load_gpu_count(y, "borrowing_limit_gpus", kNoLimit, file, where);
  t.lending_limit_gpus = load_gpu_count(y, "lending_limit_gpus", kNoLimit, file, where);
  if (t.lending_limit_gpus > t.quota_gpus)
    throw InputError(file, where + ".lending_limit_gpus", "must not exceed quota_gpus (Kueue: lendingLimit <= nominalQuota)");
  t.fair_share_weight = yaml_number_or(y, "fair_share_weight", 1.0, file, where);
  if (t.fair_share_weight <= 0) throw InputError(file, where + ".fair_share_weight", "must be > 0");
  t.submit_share = yaml_number_or(y, "submit_share", 0, file, where);
  if (t.submit_share < 0) throw InputError(file, where + ".submit_share", "must be >= 0");
  t.data_class_share = load_data_class_shares(y["data_classes"], file, where + ".data_classes");
  return t;
}

// `tenant_map: {owner: tenant id, ...}`: every tenant id must exist.
static std::map<std::string, int> load_tenant_map(const YAML::Node& y, const Tenants& t, const std::string& file) {
  std::map<std::string, int> out;
  if (!y) return out;
  if (!y.IsMap()) throw InputError(file, "tenant_map", "must map trace owners (virtual cluster or user) to tenant ids");
  for (const auto& kv : y) {
    const std::string owner = kv.first.as<std::string>(), id = kv.second.as<std::string>();
    const int i = t.find(id);
    if (i < 0) throw InputError(file, "tenant_map." + owner, "unknown tenant '" + id + "'");
    out[owner] = i;
  }
  return out;
}

Tenants load_tenants(const std::string& path) {
  const YAML::Node y = load_yaml_mapping(path);
  const YAML::Node list = y["tenants"];
  if (!list || !list.IsSequence() || list.size() == 0) throw InputError(path, "tenants", "missing or empty");
  Tenants out;
  double quota_total = 0;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string where = "tenants[" + std::to_string(i) + "]";
    Tenant t = load_tenant(list[i], path, where);
    if (out.find(t.id) >= 0) throw InputError(path, where + ".id", "tenant '" + t.id + "' listed twice");
    // A quota tier without a quota still runs (as if general, borrowing everything); say so.
    if ((t.tier == Tier::internal || t.tier == Tier::partner) && t.quota_gpus == 0)
      out.warnings.push_back(path + ": " + where + ".quota_gpus: tenant '" + t.id + "' of tier " + tier_name(t.tier) +
                             " has no quota anywhere; all its jobs run as borrowed (preemptible) capacity");
    out.list.push_back(t);
    quota_total += t.quota_gpus;
    check_count(quota_total, kGpuCountRule, path, "tenants[*].quota_gpus (sum)");
  }
  out.tenant_map = load_tenant_map(y["tenant_map"], out, path);
  return out;
}

std::uint64_t fnv1a_64(const std::string& s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;  // offset basis
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;  // FNV prime
  return h;
}

int Tenants::tenant_of(const std::string& owner, const std::string& name) const {
  const std::string& key = owner.empty() ? name : owner;
  if (auto it = tenant_map.find(key); it != tenant_map.end()) return it->second;
  return static_cast<int>(fnv1a_64(key) % list.size());
}

Tenants single_tenant(const std::string& id) {
  Tenants t;
  Tenant one;
  one.id = id;
  one.submit_share = 1;
  t.list.push_back(one);
  return t;
}

}  // namespace ct::cluster
