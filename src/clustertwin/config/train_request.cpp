#include "clustertwin/config/train_request.hpp"

#include <set>

#include "clustertwin/config/train_options.hpp"
#include "clustertwin/core/error.hpp"
#include "clustertwin/core/units.hpp"
#include "clustertwin/core/yaml_util.hpp"
#include "clustertwin/hw/granularity.hpp"

namespace ct {

TrainRequest load_train_request(const std::string& path) { return train_request_from_yaml(load_yaml_file(path), path); }

std::vector<TrainRequest> load_compare_requests(const std::string& path) {
  const YAML::Node root = load_yaml_file(path);
  if (!root.IsMap()) throw InputError(path, "", "a comparison must be a YAML mapping");
  const YAML::Node systems = root["systems"];
  if (!systems || !systems.IsSequence() || systems.size() == 0)
    throw InputError(path, "systems", "needs a list of at least one system entry");
  std::vector<TrainRequest> out;
  for (std::size_t i = 0; i < systems.size(); ++i) {
    if (!systems[i].IsMap()) throw InputError(path, "systems[" + std::to_string(i) + "]", "must be a mapping");
    YAML::Node merged(YAML::NodeType::Map);
    for (const auto& kv : root)
      if (kv.first.as<std::string>() != "systems") merged[kv.first.as<std::string>()] = kv.second;
    for (const auto& kv : systems[i]) merged[kv.first.as<std::string>()] = kv.second;
    out.push_back(train_request_from_yaml(merged, path + ": systems[" + std::to_string(i) + "]"));
  }
  return out;
}

TrainRequest train_request_from_yaml(const YAML::Node& n, const std::string& path) {
  if (!n.IsMap()) throw InputError(path, "", "a scenario must be a YAML mapping");
  static const std::set<std::string> known = {
      "model", "system", "profile", "gpus", "tp", "pp", "vp", "cp", "ep", "etp", "micro_batch", "global_batch", "seq_len",
      "shard_group", "precision", "recompute", "zero", "sequence_parallel", "lora", "description", "label",
      "moe_imbalance", "moe_capacity_factor", "optimizer_offload", "activation_offload_layers", "nic_gb_s", "ep_dispatch"};
  for (const auto& kv : n) {
    const auto key = kv.first.as<std::string>();
    if (!known.count(key)) throw InputError(path, key, "unknown field");
  }
  TrainRequest r;
  auto integer = [&](const char* key, long long& field, const NumberRule& rule) {
    if (n[key]) field = check_count(yaml_number(n, key, path, ""), rule, path, key);
  };
  auto real = [&](const char* key, double& field, const NumberRule& rule) {
    if (n[key]) field = check_number(yaml_number(n, key, path, ""), rule, path, key);
  };
  r.model = yaml_string(n, "model", path, "");
  r.system = yaml_string(n, "system", path, "");
  r.profile = yaml_string_or(n, "profile", "");
  integer("gpus", r.gpus, kPositiveCount);
  integer("tp", r.tp, kPositiveCount);
  integer("pp", r.pp, kPositiveCount);
  integer("vp", r.vp, kPositiveCount);
  integer("cp", r.cp, kPositiveCount);
  integer("ep", r.ep, kPositiveCount);
  integer("etp", r.etp, kPositiveCount);
  integer("micro_batch", r.micro_batch, kPositiveCount);
  integer("global_batch", r.global_batch, kPositiveCount);
  integer("seq_len", r.seq_len, kPositiveCount);
  integer("shard_group", r.shard_group, kNonNegativeCount);
  r.precision = yaml_string_or(n, "precision", r.precision);
  r.recompute = yaml_string_or(n, "recompute", r.recompute);
  r.zero = yaml_string_or(n, "zero", r.zero);
  r.sequence_parallel = yaml_bool_or(n, "sequence_parallel", r.sequence_parallel, path, "");
  r.lora = yaml_bool_or(n, "lora", r.lora, path, "");
  r.ep_dispatch = yaml_string_or(n, "ep_dispatch", r.ep_dispatch);
  real("moe_imbalance", r.moe_imbalance, kMoeImbalanceRule);
  real("moe_capacity_factor", r.moe_capacity_factor, kMoeCapacityFactorRule);
  real("optimizer_offload", r.optimizer_offload, kOptimizerOffloadRule);
  integer("activation_offload_layers", r.activation_offload_layers, kNonNegativeCount);
  real("nic_gb_s", r.nic_gb_s, kNicGbPerSRule);
  r.label = yaml_string_or(n, "label", "");
  if (r.gpus <= 0) throw InputError(path, "gpus", "missing");
  return r;
}

TrainScenario make_scenario(const TrainRequest& req, const Catalogs& cat, const std::string& source,
                            std::vector<std::string>* assumptions) {
  if (req.model.empty()) throw InputError(source, "model", "missing");
  if (req.system.empty()) throw InputError(source, "system", "missing");
  TrainScenario s;
  s.model = cat.model(req.model, assumptions);
  try {
    s.system = cat.system(req.system, assumptions);
  } catch (const InputError& e) {
    // An unknown id is the request's mistake, not the shipped catalog's: name where it was written.
    if (e.field() == "system") throw InputError(source, "system", e.reason());
    throw;
  }
  // Flags and files were checked as they were read; a request built in code is checked here too.
  check_number(req.moe_imbalance, kMoeImbalanceRule, source, "moe_imbalance");
  check_number(req.moe_capacity_factor, kMoeCapacityFactorRule, source, "moe_capacity_factor");
  check_number(req.optimizer_offload, kOptimizerOffloadRule, source, "optimizer_offload");
  if (req.nic_gb_s != 0) s.system.nic_bytes_per_s = check_number(req.nic_gb_s, kNicGbPerSRule, source, "nic_gb_s") * units::kGB;
  ParallelLayout& l = s.layout;
  auto narrow = [&](long long v, const char* field) {
    return static_cast<int>(check_count(static_cast<double>(v), kPositiveCount, source, field));
  };
  l.gpus = narrow(req.gpus, "gpus");
  if (const std::string note = granularity_note(s.system, l.gpus); !note.empty() && assumptions) assumptions->push_back(note);
  l.tp = narrow(req.tp, "tp");
  l.pp = narrow(req.pp, "pp");
  l.vp = narrow(req.vp, "vp");
  l.cp = narrow(req.cp, "cp");
  l.ep = narrow(req.ep, "ep");
  l.etp = narrow(req.etp, "etp");
  l.micro_batch = narrow(req.micro_batch, "micro_batch");
  l.seq_len = narrow(req.seq_len, "seq_len");
  l.shard_group = static_cast<int>(check_count(static_cast<double>(req.shard_group), kNonNegativeCount, source, "shard_group"));
  l.precision = parse_precision_or_throw(req.precision, source);
  parse_recompute(req.recompute, source, l);
  l.sharding = parse_sharding(req.zero, source);
  l.sequence_parallel = req.sequence_parallel;
  l.lora = req.lora;
  if (req.ep_dispatch != "alltoall" && req.ep_dispatch != "dedup")
    throw InputError(source, "ep_dispatch", "'" + req.ep_dispatch + "': alltoall or dedup");
  l.ep_node_dedup = req.ep_dispatch == "dedup";
  l.moe_imbalance = req.moe_imbalance;
  l.moe_capacity_factor = req.moe_capacity_factor;
  l.optimizer_offload = req.optimizer_offload;
  l.activation_offload_layers = static_cast<int>(
      check_count(static_cast<double>(req.activation_offload_layers), kNonNegativeCount, source, "activation_offload_layers"));
  // Default global batch: one micro-batch per data-parallel replica.
  const long long mp = 1LL * l.tp * l.pp * l.cp;
  l.global_batch = req.global_batch > 0 ? narrow(req.global_batch, "global_batch")
                                        : static_cast<int>(std::max(1LL, l.gpus / std::max(1LL, mp)) * l.micro_batch);
  resolve_layout(l, s.model, source);
  std::string profile = req.profile;
  if (profile.empty()) profile = l.sharding == DpSharding::Zero3 && l.tp == 1 && l.pp == 1 ? "pytorch-fsdp" : "megatron-core";
  s.profile = cat.profile(profile);
  return s;
}

}  // namespace ct
