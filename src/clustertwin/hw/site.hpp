#pragma once
// Where a machine runs: the facility and grid figures every energy, cost and CO2 estimate uses.
// The planner adds prices (plan/run_projection.hpp), the fleet simulator residency (cluster/fleet.hpp).
#include <string>

namespace ct {

struct SiteBasics {
  std::string id, name;
  std::string jurisdiction;  // where data placed here is held, e.g. "JP"
  std::string region;
  double pue = 1.0;                       // facility energy / IT energy
  double electricity_price_per_kwh = 0;   // in the site's currency (JPY for data/sites)
  double grid_co2_kg_per_kwh = 0;
};

}  // namespace ct
