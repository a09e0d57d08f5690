#pragma once
// Everything the built-in data directory holds, loaded once.
#include <map>
#include <string>

#include "clustertwin/cost/calibration.hpp"
#include "clustertwin/hw/catalog.hpp"
#include "clustertwin/model/model_spec.hpp"

namespace ct {

struct Catalogs {
  std::string data_dir;
  HardwareCatalog hardware;
  Calibration calibration;
  std::map<std::string, SoftwareProfile> profiles;

  static Catalogs load(const std::string& data_dir);
  std::map<std::string, std::string> model_aliases;  // other names -> catalog ids (data/models/aliases.yaml)
  std::string models_dir() const { return data_dir + "/models"; }
  ModelSpec model(const std::string& name_or_path) const;
  const SoftwareProfile& profile(const std::string& name) const;
};

}  // namespace ct
