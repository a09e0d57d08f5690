#include "clustertwin/core/yaml_util.hpp"

#include <cmath>
#include <filesystem>

namespace ct {

YAML::Node load_yaml_file(const std::string& path) {
  if (!std::filesystem::exists(path)) throw InputError(path, "", "file not found");
  try {
    return YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    throw InputError(path, "", "does not parse as YAML: line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

static std::string field_name(const std::string& where, const std::string& key) {
  return where.empty() ? key : where + "." + key;
}

double yaml_number(const YAML::Node& node, const std::string& key, const std::string& file,
                   const std::string& where) {
  const YAML::Node v = node[key];
  if (!v || v.IsNull()) throw InputError(file, field_name(where, key), "missing");
  try {
    const double x = v.as<double>();
    if (!std::isfinite(x)) throw InputError(file, field_name(where, key), "not a finite number");
    return x;
  } catch (const YAML::Exception&) {
    throw InputError(file, field_name(where, key), "not a number: '" + v.as<std::string>("") + "'");
  }
}

double yaml_number_or(const YAML::Node& node, const std::string& key, double fallback,
                      const std::string& file, const std::string& where) {
  const YAML::Node v = node[key];
  if (!v || v.IsNull()) return fallback;
  return yaml_number(node, key, file, where);
}

int yaml_positive_int(const YAML::Node& node, const std::string& key, const std::string& file,
                      const std::string& where) {
  const double x = yaml_number(node, key, file, where);
  if (x <= 0 || std::floor(x) != x) throw InputError(file, field_name(where, key), "must be a positive integer");
  return static_cast<int>(x);
}

std::string yaml_string(const YAML::Node& node, const std::string& key, const std::string& file,
                        const std::string& where) {
  const YAML::Node v = node[key];
  if (!v || v.IsNull() || !v.IsScalar()) throw InputError(file, field_name(where, key), "missing");
  return v.as<std::string>();
}

std::string yaml_string_or(const YAML::Node& node, const std::string& key, const std::string& fallback) {
  const YAML::Node v = node[key];
  if (!v || v.IsNull() || !v.IsScalar()) return fallback;
  return v.as<std::string>();
}

bool yaml_bool_or(const YAML::Node& node, const std::string& key, bool fallback, const std::string& file,
                  const std::string& where) {
  const YAML::Node v = node[key];
  if (!v || v.IsNull()) return fallback;
  try {
    return v.as<bool>();
  } catch (const YAML::Exception&) {
    throw InputError(file, field_name(where, key), "not a boolean");
  }
}

}  // namespace ct
