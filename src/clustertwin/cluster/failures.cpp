#include "clustertwin/cluster/failures.hpp"

#include "clustertwin/core/error.hpp"
#include "clustertwin/core/yaml_util.hpp"

namespace ct::cluster {

static FailureCause load_cause(const YAML::Node& y, const std::string& file, const std::string& where) {
  FailureCause c;
  c.name = yaml_string(y, "name", file, where);
  c.share = yaml_number(y, "share", file, where);
  const std::string radius = yaml_string(y, "blast_radius", file, where);
  if (radius == "node") c.blast_radius = BlastRadius::node;
  else if (radius == "domain") c.blast_radius = BlastRadius::domain;
  else throw InputError(file, where + ".blast_radius", "unknown '" + radius + "' (node, domain)");
  if (c.share < 0) throw InputError(file, where + ".share", "must be >= 0");
  return c;
}

FailureModel load_failure_model(const std::string& path, const std::string& id) {
  if (id == "none") return FailureModel{"none", 0, {{"none", 1, BlastRadius::node}}, 0};
  const YAML::Node y = load_yaml_mapping(path);
  const YAML::Node models = y["failure_models"];
  if (!models || !models.IsSequence()) throw InputError(path, "failure_models", "missing list");
  for (std::size_t i = 0; i < models.size(); ++i) {
    const std::string where = "failure_models[" + std::to_string(i) + "]";
    if (yaml_string(models[i], "id", path, where) != id) continue;
    FailureModel m;
    m.id = id;
    m.per_gpu_hour = yaml_number(models[i], "per_gpu_hour", path, where);
    m.repair_s = yaml_number(models[i], "repair_s", path, where);
    if (m.per_gpu_hour < 0 || m.repair_s < 0) throw InputError(path, where, "per_gpu_hour and repair_s must be >= 0");
    const YAML::Node causes = models[i]["causes"];
    if (!causes || !causes.IsSequence() || causes.size() == 0) throw InputError(path, where + ".causes", "missing list");
    for (std::size_t c = 0; c < causes.size(); ++c)
      m.causes.push_back(load_cause(causes[c], path, where + ".causes[" + std::to_string(c) + "]"));
    if (!models[i]["sources"] || !models[i]["sources"]["per_gpu_hour"])
      throw InputError(path, where + ".sources.per_gpu_hour", "the rate must cite its source");
    return m;
  }
  throw InputError(path, "failure_models", "no model '" + id + "' (none, or an id in the file)");
}

}  // namespace ct::cluster
