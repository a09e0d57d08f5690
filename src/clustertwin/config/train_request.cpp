#include "clustertwin/config/train_request.hpp"

#include <set>

#include "clustertwin/config/train_options.hpp"
#include "clustertwin/core/error.hpp"
#include "clustertwin/core/units.hpp"
#include "clustertwin/core/yaml_util.hpp"

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
      "moe_imbalance", "moe_capacity_factor", "optimizer_offload", "activation_offload_layers", "nic_gb_s"};
  for (const auto& kv : n) {
    const auto key = kv.first.as<std::string>();
    if (!known.count(key)) throw InputError(path, key, "unknown field");
  }
  TrainRequest r;
  auto integer = [&](const char* key, long long& field) {
    if (n[key]) {
      const double v = yaml_number(n, key, path, "");
      if (v != static_cast<double>(static_cast<long long>(v))) throw InputError(path, key, "must be an integer");
      if (v <= 0 && std::string(key) != "shard_group") throw InputError(path, key, "must be positive");
      field = static_cast<long long>(v);
    }
  };
  r.model = yaml_string(n, "model", path, "");
  r.system = yaml_string(n, "system", path, "");
  r.profile = yaml_string_or(n, "profile", "");
  integer("gpus", r.gpus);
  integer("tp", r.tp);
  integer("pp", r.pp);
  integer("vp", r.vp);
  integer("cp", r.cp);
  integer("ep", r.ep);
  integer("etp", r.etp);
  integer("micro_batch", r.micro_batch);
  integer("global_batch", r.global_batch);
  integer("seq_len", r.seq_len);
  integer("shard_group", r.shard_group);
  r.precision = yaml_string_or(n, "precision", r.precision);
  r.recompute = yaml_string_or(n, "recompute", r.recompute);
  r.zero = yaml_string_or(n, "zero", r.zero);
  r.sequence_parallel = yaml_bool_or(n, "sequence_parallel", r.sequence_parallel, path, "");
  r.lora = yaml_bool_or(n, "lora", r.lora, path, "");
  r.moe_imbalance = yaml_number_or(n, "moe_imbalance", r.moe_imbalance, path, "");
  r.moe_capacity_factor = yaml_number_or(n, "moe_capacity_factor", r.moe_capacity_factor, path, "");
  r.optimizer_offload = yaml_number_or(n, "optimizer_offload", r.optimizer_offload, path, "");
  if (n["activation_offload_layers"]) {
    const double v = yaml_number(n, "activation_offload_layers", path, "");
    if (v < 0 || v != static_cast<double>(static_cast<long long>(v)))
      throw InputError(path, "activation_offload_layers", "must be a non-negative integer");
    r.activation_offload_layers = static_cast<long long>(v);
  }
  r.nic_gb_s = yaml_number_or(n, "nic_gb_s", r.nic_gb_s, path, "");
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
  s.system = cat.system(req.system, assumptions);
  if (req.nic_gb_s < 0) throw InputError(source, "nic_gb_s", "must not be negative");
  if (req.nic_gb_s > 0) s.system.nic_bytes_per_s = req.nic_gb_s * units::kGB;  // e.g. ConnectX-8 on a GB200 rack
  ParallelLayout& l = s.layout;
  auto narrow = [&](long long v, const char* field) {
    if (v <= 0 || v > (1LL << 30)) throw InputError(source, field, "must be a positive integer, got " + std::to_string(v));
    return static_cast<int>(v);
  };
  l.gpus = narrow(req.gpus, "gpus");
  l.tp = narrow(req.tp, "tp");
  l.pp = narrow(req.pp, "pp");
  l.vp = narrow(req.vp, "vp");
  l.cp = narrow(req.cp, "cp");
  l.ep = narrow(req.ep, "ep");
  l.etp = narrow(req.etp, "etp");
  l.micro_batch = narrow(req.micro_batch, "micro_batch");
  l.seq_len = narrow(req.seq_len, "seq_len");
  if (req.shard_group < 0) throw InputError(source, "shard_group", "must not be negative");
  l.shard_group = static_cast<int>(req.shard_group);
  l.precision = parse_precision_or_throw(req.precision, source);
  parse_recompute(req.recompute, source, l);
  l.sharding = parse_sharding(req.zero, source);
  l.sequence_parallel = req.sequence_parallel;
  l.lora = req.lora;
  l.moe_imbalance = req.moe_imbalance;
  l.moe_capacity_factor = req.moe_capacity_factor;
  l.optimizer_offload = req.optimizer_offload;
  if (req.activation_offload_layers < 0 || req.activation_offload_layers > (1LL << 30))
    throw InputError(source, "activation_offload_layers", "must be a non-negative integer");
  l.activation_offload_layers = static_cast<int>(req.activation_offload_layers);
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
