#pragma once
// Everything the built-in data directory holds, loaded once.
#include <map>
#include <string>
#include <vector>

#include "clustertwin/cost/calibration.hpp"
#include "clustertwin/hw/catalog.hpp"
#include "clustertwin/model/model_spec.hpp"

namespace ct {

struct Catalogs {
  std::string data_dir;
  std::vector<std::string> overlays;  // user folders of the same layout, later ones winning (core/paths.hpp)
  HardwareCatalog hardware;
  Calibration calibration;
  std::map<std::string, SoftwareProfile> profiles;
  std::map<std::string, std::string> model_aliases;  // other names -> catalog ids (models/aliases.yaml)

  // The built-in folder `data_dir` with the overlays of overlay_dirs() (--overlay, $CLUSTERTWIN_OVERLAY).
  static Catalogs load(const std::string& data_dir);
  static Catalogs load(const std::string& data_dir, const std::vector<std::string>& overlays);

  std::string models_dir() const { return data_dir + "/models"; }
  // Catalog model ids, built-in and from overlays (read once, at load).
  const std::vector<std::string>& model_ids() const { return model_ids_; }
  bool has_model(const std::string& id) const;
  // A catalog id or alias (an overlay's models/<id>.json first), a config.json path, or a name as
  // people write it ("Llama 3 70B"), resolved by config/name_resolver; what that read is added to
  // `assumptions` when given.
  ModelSpec model(const std::string& name_or_path, std::vector<std::string>* assumptions = nullptr) const;
  // A catalog system id, the path of a user's system file (HardwareCatalog::add_system_file), or a
  // hardware description ("H100 SXM5 80GB, 8x400Gb/s IB"), resolved with its assumptions.
  SystemSpec system(const std::string& id_or_path, std::vector<std::string>* assumptions = nullptr) const;
  const SoftwareProfile& profile(const std::string& name) const;
  // The profile of stack `name` at release `version`: the profile whose base is `name` and whose
  // stack_versions list `version`, else `name` itself (a release nobody described runs as its stack).
  const SoftwareProfile& profile_at(const std::string& name, const std::string& version) const;

 private:
  std::vector<std::string> find_model_ids() const;
  std::vector<std::string> model_ids_;
};

}  // namespace ct
