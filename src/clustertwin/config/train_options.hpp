#pragma once
// Parsing the names users type for training options.
#include <string>

#include "clustertwin/hw/precision.hpp"
#include "clustertwin/parallel/layout.hpp"

namespace ct {

Recompute parse_recompute(const std::string& s, const std::string& source);
DpSharding parse_sharding(const std::string& s, const std::string& source);
Precision parse_precision_or_throw(const std::string& s, const std::string& source);

}  // namespace ct
