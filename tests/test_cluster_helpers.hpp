#pragma once
// Small fleets, tenants and jobs built in code for the fleet-simulator tests.
#include <string>

#include "clustertwin/cluster/fleet.hpp"
#include "clustertwin/cluster/job.hpp"
#include "clustertwin/cluster/tenants.hpp"

namespace ct::cluster::testing {

inline SystemSpec test_system(const std::string& id, int gpus_per_node, int domain_gpus, double tdp_w = 700, double idle_w = 70) {
  SystemSpec s;
  s.id = id;
  s.gpu.id = id + "-gpu";
  s.gpu.tdp_w = tdp_w;
  s.gpu.idle_w = idle_w;
  s.gpus_per_node = gpus_per_node;
  s.nvlink_domain_gpus = domain_gpus;
  return s;
}

inline Site test_site(const std::string& id, const std::string& jurisdiction, double pue = 1.5) {
  return Site{id, id, jurisdiction, "test", pue, 25, 0.42};
}

// One site (JP) with `nodes` DGX-like nodes of 8 GPUs.
inline Fleet dgx_fleet(int nodes, const std::string& jurisdiction = "JP") {
  Fleet f;
  f.sites.push_back(test_site("site", jurisdiction));
  add_pool(f, 0, test_system("dgx", 8, 8), nodes);
  return f;
}

inline Job make_job(const std::string& name, int tenant, double submit_s, int gpus, double duration_s,
                    double checkpoint_interval_s = 0, DataClass dc = DataClass::unrestricted) {
  Job j;
  j.name = name;
  j.tenant = tenant;
  j.submit_s = submit_s;
  j.gpus = gpus;
  j.duration_s = duration_s;
  j.checkpoint_interval_s = checkpoint_interval_s;
  j.data_class = dc;
  return j;
}

inline Tenants tenants_of(std::initializer_list<std::pair<Tier, int>> tiers_and_quotas) {
  Tenants t;
  int i = 0;
  for (const auto& [tier, quota] : tiers_and_quotas) {
    Tenant x;
    x.id = std::string(tier_name(tier)) + std::to_string(i++);
    x.tier = tier;
    x.quota_gpus = quota;
    x.submit_share = 1;
    t.list.push_back(x);
  }
  return t;
}

}  // namespace ct::cluster::testing
