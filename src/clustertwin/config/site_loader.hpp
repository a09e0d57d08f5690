#pragma once
// Site files (data/sites/*.yaml) and the reliability figures for run projections.
#include <yaml-cpp/yaml.h>

#include <string>

#include "clustertwin/plan/run_projection.hpp"

namespace ct {

// The fields every site file has (id, name, jurisdiction, region, pue, electricity_jpy_per_kwh,
// grid_co2_kg_per_kwh), checked, each figure citing its source under `sources:`.
SiteBasics load_site_basics(const YAML::Node& n, const std::string& path);
Site load_site(const std::string& path);
Reliability load_reliability(const std::string& path);

}  // namespace ct
