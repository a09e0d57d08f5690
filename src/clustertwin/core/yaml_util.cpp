#include "clustertwin/core/yaml_util.hpp"

#include <filesystem>

#include "clustertwin/core/number_check.hpp"

namespace ct {

YAML::Node load_yaml_file(const std::string& path) {
  if (!std::filesystem::exists(path)) throw InputError(path, "", "file not found");
  if (std::filesystem::is_directory(path)) throw InputError(path, "", "is a directory, not a YAML file");
  try {
    return YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    throw InputError(path, "", "does not parse as YAML: line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

YAML::Node load_yaml_mapping(const std::string& path) {
  YAML::Node root = load_yaml_file(path);
  if (!root.IsMap()) throw InputError(path, "", "must be a YAML mapping of fields, not a scalar or a list");
  return root;
}

static std::string field_name(const std::string& where, const std::string& key) {
  return where.empty() ? key : where + "." + key;
}

// node[key], once node is known to be a mapping: subscripting a scalar or a list throws inside yaml-cpp.
static YAML::Node member(const YAML::Node& node, const std::string& key, const std::string& file, const std::string& where) {
  if (node.IsDefined() && !node.IsNull() && !node.IsMap())
    throw InputError(file, where.empty() ? key : where, "must be a mapping of fields");
  return node.IsMap() ? node[key] : YAML::Node();
}

double yaml_number(const YAML::Node& node, const std::string& key, const std::string& file,
                   const std::string& where) {
  const YAML::Node v = member(node, key, file, where);
  if (!v || v.IsNull()) throw InputError(file, field_name(where, key), "missing");
  double x = 0;
  try {
    x = v.as<double>();
  } catch (const YAML::Exception&) {
    throw InputError(file, field_name(where, key), "not a number: '" + v.as<std::string>("") + "'");
  }
  return check_number(x, NumberRule{}, file, field_name(where, key));
}

double yaml_number_or(const YAML::Node& node, const std::string& key, double fallback,
                      const std::string& file, const std::string& where) {
  const YAML::Node v = member(node, key, file, where);
  if (!v || v.IsNull()) return fallback;
  return yaml_number(node, key, file, where);
}

int yaml_positive_int(const YAML::Node& node, const std::string& key, const std::string& file,
                      const std::string& where) {
  return static_cast<int>(check_count(yaml_number(node, key, file, where), kPositiveCount, file, field_name(where, key)));
}

std::string yaml_string(const YAML::Node& node, const std::string& key, const std::string& file,
                        const std::string& where) {
  const YAML::Node v = member(node, key, file, where);
  if (!v || v.IsNull() || !v.IsScalar()) throw InputError(file, field_name(where, key), "missing");
  return v.as<std::string>();
}

std::string yaml_string_or(const YAML::Node& node, const std::string& key, const std::string& fallback) {
  if (!node.IsMap()) return fallback;  // a required field of the same node names the problem
  const YAML::Node v = node[key];
  if (!v || v.IsNull() || !v.IsScalar()) return fallback;
  return v.as<std::string>();
}

bool yaml_bool_or(const YAML::Node& node, const std::string& key, bool fallback, const std::string& file,
                  const std::string& where) {
  const YAML::Node v = member(node, key, file, where);
  if (!v || v.IsNull()) return fallback;
  try {
    return v.as<bool>();
  } catch (const YAML::Exception&) {
    throw InputError(file, field_name(where, key), "not a boolean");
  }
}

}  // namespace ct
