#pragma once
// What a user asks `train` for: names as typed (catalog ids, option names), from a scenario
// YAML file and/or command-line flags, turned into a TrainScenario against the catalogs.
#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <vector>

#include "clustertwin/config/catalogs.hpp"
#include "clustertwin/core/number_check.hpp"
#include "clustertwin/train/step_simulator.hpp"

namespace ct {

struct TrainRequest {
  std::string model{}, system{};
  std::string profile{};  // empty: megatron-core, or pytorch-fsdp for zero3 without TP/PP
  long long gpus = 0, tp = 1, pp = 1, vp = 1, cp = 1, ep = 1, etp = 1;
  long long micro_batch = 1, global_batch = 0, seq_len = 4096, shard_group = 0;
  std::string precision = "bf16", recompute = "none", zero = "zero1";
  bool sequence_parallel = true;
  bool lora = false;
  std::string ep_dispatch = "alltoall";  // MoE dispatcher: alltoall, or dedup (one send per destination node)
  double moe_imbalance = 1.0;
  double moe_capacity_factor = 0;  // 0: dropless
  double optimizer_offload = 0;    // share of the optimizer state in host memory
  long long activation_offload_layers = 0;  // layers per pipeline rank with activations in host memory
  double nic_gb_s = 0;             // what-if: scale-out NIC line rate, GB/s (0: the system's)
  std::string label{};  // how a comparison names this entry (default: the system id)
};

// Ranges of the request's real numbers, shared by the flags and the scenario files (counts are
// kPositiveCount). The busiest expert GPU has at least the balanced share; a capacity factor of 0 is
// dropless; the offloaded optimizer state is a share.
inline constexpr NumberRule kMoeImbalanceRule{1, 1e6};
inline constexpr NumberRule kMoeCapacityFactorRule{0, 1e6};
inline constexpr NumberRule kOptimizerOffloadRule = kFraction;
inline constexpr NumberRule kNicGbPerSRule = kPositiveReal;

// Reads a scenario file (YAML; keys as the flags with underscores: model, system, gpus, tp, ...).
TrainRequest load_train_request(const std::string& path);
// The same from a YAML mapping already loaded (`path` names it in errors).
TrainRequest train_request_from_yaml(const YAML::Node& n, const std::string& path);

// A comparison file: shared fields at the top, one entry per system under `systems:`, each
// overriding what it needs (its layout, its GPU count).
std::vector<TrainRequest> load_compare_requests(const std::string& path);
// `assumptions` (when given) receives how free-text model and system names were read.
TrainScenario make_scenario(const TrainRequest& req, const Catalogs& cat, const std::string& source,
                            std::vector<std::string>* assumptions = nullptr);

}  // namespace ct
