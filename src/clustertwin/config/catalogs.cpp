#include "clustertwin/config/catalogs.hpp"

#include <algorithm>
#include <filesystem>

#include "clustertwin/config/calibration_loader.hpp"
#include "clustertwin/config/name_resolver.hpp"
#include "clustertwin/core/paths.hpp"
#include "clustertwin/core/error.hpp"
#include "clustertwin/core/yaml_util.hpp"
#include "clustertwin/model/hf_config.hpp"

namespace ct {

namespace {

namespace fs = std::filesystem;

bool is_file(const std::string& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

void read_aliases(const std::string& file, std::map<std::string, std::string>& out) {
  const YAML::Node root = load_yaml_file(file);
  if (!root["aliases"] || !root["aliases"].IsMap()) throw InputError(file, "aliases", "missing map");
  for (const auto& kv : root["aliases"]) out[kv.first.as<std::string>()] = kv.second.as<std::string>();
}

}  // namespace

Catalogs Catalogs::load(const std::string& dir) { return load(dir, overlay_dirs()); }

Catalogs Catalogs::load(const std::string& dir, const std::vector<std::string>& overlays) {
  Catalogs c;
  c.data_dir = dir;
  c.overlays = overlays;
  std::vector<std::string> hardware_dirs = {dir + "/hardware"};
  for (const std::string& o : overlays) hardware_dirs.push_back(o + "/hardware");
  c.hardware = HardwareCatalog::load(hardware_dirs);
  c.calibration = load_calibration(dir + "/calibration");
  c.profiles = load_profiles(dir + "/calibration/profiles.yaml");
  read_aliases(c.models_dir() + "/aliases.yaml", c.model_aliases);
  for (const std::string& o : overlays) {
    if (const std::string p = o + "/calibration/profiles.yaml"; is_file(p))
      for (auto& [name, profile] : load_profiles(p)) c.profiles[name] = std::move(profile);
    if (const std::string a = o + "/models/aliases.yaml"; is_file(a)) read_aliases(a, c.model_aliases);
  }
  c.model_ids_ = c.find_model_ids();
  return c;
}

std::vector<std::string> Catalogs::find_model_ids() const {
  std::vector<std::string> ids = catalog_model_ids(models_dir());
  for (const std::string& o : overlays)
    if (fs::is_directory(o + "/models"))
      for (const std::string& id : catalog_model_ids(o + "/models"))
        if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  return ids;
}

bool Catalogs::has_model(const std::string& id) const {
  if (is_file(models_dir() + "/" + id + ".json")) return true;
  return std::any_of(overlays.begin(), overlays.end(), [&](const std::string& o) { return is_file(o + "/models/" + id + ".json"); });
}

ModelSpec Catalogs::model(const std::string& name_or_path, std::vector<std::string>* assumptions) const {
  const auto alias = model_aliases.find(name_or_path);
  std::string id = alias == model_aliases.end() ? name_or_path : alias->second;
  const bool path = id.find('/') != std::string::npos || id.ends_with(".json");
  if (!path && !has_model(id))
    if (const auto resolved = resolve_model_name(id, model_ids_, model_aliases)) {
      if (assumptions) assumptions->push_back("model '" + id + "' read as " + *resolved);
      id = *resolved;
    }
  for (auto o = overlays.rbegin(); o != overlays.rend(); ++o)
    if (is_file(*o + "/models/" + id + ".json")) {
      ModelSpec m = load_hf_config(*o + "/models/" + id + ".json");
      m.name = id;
      return m;
    }
  return load_model(id, models_dir());
}

SystemSpec Catalogs::system(const std::string& id_or_path, std::vector<std::string>* assumptions) const {
  const bool looks_like_file = id_or_path.ends_with(".yaml") || id_or_path.ends_with(".yml") || is_file(id_or_path);
  if (!looks_like_file) {
    if (hardware.has_system(id_or_path)) return hardware.system(id_or_path);
    const auto resolved = resolve_system(id_or_path, hardware);
    if (!resolved) return hardware.system(id_or_path);  // the unknown-system error, with the known ids
    if (assumptions) {
      assumptions->push_back("system '" + id_or_path + "' read as " + resolved->id);
      assumptions->insert(assumptions->end(), resolved->assumptions.begin(), resolved->assumptions.end());
    }
    return hardware.system(resolved->id);
  }
  if (!is_file(id_or_path)) throw InputError(id_or_path, "system", "no such file");
  HardwareCatalog with_file = hardware;
  return with_file.system(with_file.add_system_file(id_or_path));
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

const SoftwareProfile& Catalogs::profile_at(const std::string& name, const std::string& version) const {
  if (!version.empty())
    for (const auto& [id, p] : profiles)
      if (p.base == name && std::find(p.stack_versions.begin(), p.stack_versions.end(), version) != p.stack_versions.end())
        return p;
  return profile(name);
}

}  // namespace ct
