#pragma once
// The hardware catalog: GPUs, systems and fabrics from data/hardware/*.yaml.
#include <map>
#include <string>
#include <vector>

#include "clustertwin/hw/hardware.hpp"

namespace ct {

class HardwareCatalog {
 public:
  // Loads gpus.yaml, fabrics.yaml and systems.yaml from `dir`.
  static HardwareCatalog load(const std::string& dir);

  const GpuSpec& gpu(const std::string& id) const;
  const SystemSpec& system(const std::string& id) const;
  const FabricSpec& fabric(const std::string& id) const;
  bool has_system(const std::string& id) const { return systems_.count(id) > 0; }
  std::vector<std::string> system_ids() const;
  std::vector<std::string> gpu_ids() const;

  // Field names of each GPU entry and the fields that cite a source (for the sanity test).
  const std::map<std::string, std::vector<std::string>>& gpu_fields_without_source() const {
    return gpu_fields_without_source_;
  }

 private:
  std::map<std::string, GpuSpec> gpus_;
  std::map<std::string, FabricSpec> fabrics_;
  std::map<std::string, SystemSpec> systems_;
  std::map<std::string, std::vector<std::string>> gpu_fields_without_source_;
};

}  // namespace ct
