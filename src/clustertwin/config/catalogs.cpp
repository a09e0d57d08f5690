#include "clustertwin/config/catalogs.hpp"

#include "clustertwin/config/calibration_loader.hpp"
#include "clustertwin/core/error.hpp"
#include "clustertwin/core/yaml_util.hpp"
#include "clustertwin/model/hf_config.hpp"

namespace ct {

Catalogs Catalogs::load(const std::string& dir) {
  Catalogs c;
  c.data_dir = dir;
  c.hardware = HardwareCatalog::load(dir + "/hardware");
  c.calibration = load_calibration(dir + "/calibration");
  c.profiles = load_profiles(dir + "/calibration/profiles.yaml");
  const std::string aliases = c.models_dir() + "/aliases.yaml";
  const YAML::Node root = load_yaml_file(aliases);
  if (!root["aliases"] || !root["aliases"].IsMap()) throw InputError(aliases, "aliases", "missing map");
  for (const auto& kv : root["aliases"]) c.model_aliases[kv.first.as<std::string>()] = kv.second.as<std::string>();
  return c;
}

ModelSpec Catalogs::model(const std::string& name_or_path) const {
  const auto alias = model_aliases.find(name_or_path);
  return load_model(alias == model_aliases.end() ? name_or_path : alias->second, models_dir());
}

const SoftwareProfile& Catalogs::profile(const std::string& name) const {
  auto it = profiles.find(name);
  if (it == profiles.end()) {
    std::string known;
    for (const auto& [k, v] : profiles) known += (known.empty() ? "" : ", ") + k;
    throw InputError("--profile", "profile", "unknown software profile '" + name + "' (known: " + known + ")");
  }
  return it->second;
}

}  // namespace ct
