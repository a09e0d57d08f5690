#pragma once
// Reading typed fields from YAML with errors that name the file and the field.
#include <yaml-cpp/yaml.h>

#include <string>

#include "clustertwin/core/error.hpp"

namespace ct {

YAML::Node load_yaml_file(const std::string& path);
// The same for files whose top level must be a mapping (fleets, tenants, sites, scenarios): a
// scalar or a list is reported as such rather than failing later on a field lookup.
YAML::Node load_yaml_mapping(const std::string& path);

// A required scalar field `key` of `node`; `where` prefixes the field name in errors.
double yaml_number(const YAML::Node& node, const std::string& key, const std::string& file,
                   const std::string& where);
double yaml_number_or(const YAML::Node& node, const std::string& key, double fallback,
                      const std::string& file, const std::string& where);
int yaml_positive_int(const YAML::Node& node, const std::string& key, const std::string& file,
                      const std::string& where);
std::string yaml_string(const YAML::Node& node, const std::string& key, const std::string& file,
                        const std::string& where);
std::string yaml_string_or(const YAML::Node& node, const std::string& key, const std::string& fallback);
bool yaml_bool_or(const YAML::Node& node, const std::string& key, bool fallback,
                  const std::string& file, const std::string& where);

}  // namespace ct
