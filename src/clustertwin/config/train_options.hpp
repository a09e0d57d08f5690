#pragma once
// Parsing the names users type for training options.
#include <string>
#include <vector>

#include "clustertwin/hw/precision.hpp"
#include "clustertwin/parallel/layout.hpp"

namespace ct {

DpSharding parse_sharding(const std::string& s, const std::string& source);
Precision parse_precision_or_throw(const std::string& s, const std::string& source);

// "2.1T", "15T", "300B", "5e11" tokens.
double parse_token_count(const std::string& s, const std::string& field);
// "90d", "36h", "30m", "600s" -> seconds.
double parse_duration_s(const std::string& s, const std::string& field);
// "4608" or "8192:16384:2048" (first:last:step).
std::vector<int> parse_gpu_counts(const std::string& s, const std::string& field);

}  // namespace ct
