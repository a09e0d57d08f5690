#pragma once
// Loading data/calibration/*.yaml into the plain structs the cost models take.
#include <map>
#include <string>

#include "clustertwin/cost/calibration.hpp"

namespace ct {

Calibration load_calibration(const std::string& dir);
std::map<std::string, SoftwareProfile> load_profiles(const std::string& path);

}  // namespace ct
