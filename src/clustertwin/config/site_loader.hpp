#pragma once
// Site files (data/sites/*.yaml) and the reliability figures for run projections.
#include <string>

#include "clustertwin/plan/run_projection.hpp"

namespace ct {

Site load_site(const std::string& path);
Reliability load_reliability(const std::string& path);

}  // namespace ct
