#pragma once
// Names as people write them: free-text hardware, model, precision, recompute and data-parallel
// descriptions resolved onto catalog entries by rules over tokens (no table of whole strings).
// Choices taken for what a text leaves out live in data/hardware/name_defaults.yaml and are
// reported as assumptions.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "clustertwin/hw/catalog.hpp"
#include "clustertwin/hw/precision.hpp"
#include "clustertwin/parallel/layout.hpp"

namespace ct {

struct Resolution {
  std::string id;
  std::vector<std::string> assumptions;  // e.g. "A100 SXM4 80GB (memory not stated)"
};

// data/hardware/name_defaults.yaml.
struct NameDefaults {
  struct Family {
    std::string family, default_gpu;
    std::vector<std::string> written;  // token sequences, words separated by one space
  };
  struct NodeWord {
    std::string words, implies;
  };
  double memory_tolerance = 0;
  std::vector<Family> families;
  std::map<std::string, std::string> default_systems;  // gpu id -> system id
  std::vector<NodeWord> node_words;
};
NameDefaults load_name_defaults(const std::string& path);
// data_dir()/hardware/name_defaults.yaml, read once.
const NameDefaults& builtin_name_defaults();

// Hardware text -> catalog system id. nullopt when the GPU family is not recognised, or when what
// the text states (form factor, memory) matches no catalog GPU that has a system.
std::optional<Resolution> resolve_system(const std::string& text, const HardwareCatalog& hw);
std::optional<Resolution> resolve_system(const std::string& text, const HardwareCatalog& hw,
                                         const NameDefaults& defaults);

// Model name -> catalog model id by a normalised name (case, separators, HF organisation, vendor
// prefixes, -hf/-Instruct/-Base/LoRA descriptors and parenthesised notes dropped).
std::optional<std::string> resolve_model_name(const std::string& text, const std::vector<std::string>& catalog_ids,
                                              const std::map<std::string, std::string>& aliases);

std::optional<Precision> resolve_precision(const std::string& text);
// Blank means none (the validator treats a blank column specially).
std::optional<Recompute> resolve_recompute(const std::string& text);

struct DpMode {
  DpSharding sharding;
  std::string profile;  // data/calibration/profiles.yaml
  int shard_group = 0;  // GPUs one shard spans (hybrid sharding); 0 = all of data parallelism
  bool shard_within_node = false;  // hybrid sharding with no group size given: one node's GPUs
};
// `year` (0 = unknown) picks the Megatron profile of the era.
std::optional<DpMode> resolve_dp_mode(const std::string& text, int year);

// The software release a measured run names in free text ("NeMo container 26.06.01; ...",
// "Framework 25.04"): the version after "container", "NeMo" or "Framework"; empty when none.
std::string stack_release(const std::string& text);

}  // namespace ct
