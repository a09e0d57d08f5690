#pragma once
// The hardware catalog: GPUs, systems and fabrics from data/hardware/*.yaml.
#include <map>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "clustertwin/hw/hardware.hpp"

namespace ct {

class HardwareCatalog {
 public:
  // Loads gpus.yaml, fabrics.yaml and systems.yaml from `dir`.
  static HardwareCatalog load(const std::string& dir);
  // The same from the built-in folder, then overlay folders whose entries replace or add by id.
  static HardwareCatalog load(const std::vector<std::string>& dirs);
  // A user's system file (`systems:` with one entry, optional `gpus:` and `fabrics:` of its own,
  // referring to catalog ids otherwise); returns the system's id.
  std::string add_system_file(const std::string& path);

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
  void read_gpus(const std::string& file, const YAML::Node& root, bool required);
  void read_fabrics(const std::string& file, const YAML::Node& root, bool required);
  std::vector<std::string> read_systems(const std::string& file, const YAML::Node& root, bool required);
  SystemSpec parse_system(const YAML::Node& n, const std::string& file, const std::string& where) const;

  std::string gpus_file_, systems_file_;  // the built-in files, named in lookup errors
  std::map<std::string, GpuSpec> gpus_;
  std::map<std::string, FabricSpec> fabrics_;
  std::map<std::string, SystemSpec> systems_;
  std::map<std::string, std::vector<std::string>> gpu_fields_without_source_;
};

}  // namespace ct
