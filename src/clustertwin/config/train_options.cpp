#include "clustertwin/config/train_options.hpp"

#include <fmt/format.h>

#include "clustertwin/core/error.hpp"
#include "clustertwin/core/number_check.hpp"

namespace ct {

DpSharding parse_sharding(const std::string& s, const std::string& source) {
  if (s == "ddp" || s == "none" || s == "0") return DpSharding::None;
  if (s == "zero1" || s == "1" || s == "dist-opt" || s == "distributed-optimizer") return DpSharding::Zero1;
  if (s == "zero2" || s == "2") return DpSharding::Zero2;
  if (s == "zero3" || s == "3" || s == "fsdp") return DpSharding::Zero3;
  throw InputError(source, "zero", "unknown data-parallel sharding '" + s + "' (ddp, zero1, zero2, zero3/fsdp)");
}

Precision parse_precision_or_throw(const std::string& s, const std::string& source) {
  if (auto p = parse_precision(s)) return *p;
  throw InputError(source, "precision", "unknown precision '" + s + "' (bf16, fp16, fp8, fp8-block, mxfp8, nvfp4)");
}

}  // namespace ct

namespace ct {
namespace {

double number_with_suffix(const std::string& s, const std::string& field, const std::string& what,
                          const std::vector<std::pair<char, double>>& suffixes) {
  std::size_t used = 0;
  double x = 0;
  try {
    x = std::stod(s, &used);
  } catch (...) {
    throw InputError("command line", field, "not " + what + ": '" + s + "'");
  }
  double scale = 1;
  if (used < s.size()) {
    bool known = false;
    for (const auto& [c, f] : suffixes)
      if (used + 1 == s.size() && s[used] == c) scale = f, known = true;
    if (!known) throw InputError("command line", field, "not " + what + ": '" + s + "'");
  }
  return check_number(x * scale, kPositiveReal, "command line", field);
}

}  // namespace

double parse_token_count(const std::string& s, const std::string& field) {
  return number_with_suffix(s, field, "a token count (e.g. 2.1T, 300B)", {{'T', 1e12}, {'B', 1e9}, {'M', 1e6}, {'K', 1e3}});
}

double parse_duration_s(const std::string& s, const std::string& field) {
  return number_with_suffix(s, field, "a duration (e.g. 90d, 36h)", {{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}});
}

std::vector<int> parse_gpu_counts(const std::string& s, const std::string& field) {
  std::vector<long long> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t colon = s.find(':', start);
    const std::string p = s.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    const std::optional<double> v = parse_number_text(p);
    if (!v) throw InputError("command line", field, "not a GPU count or first:last:step range: '" + s + "'");
    parts.push_back(check_count(*v, kPositiveCount, "command line", field));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  if (parts.size() == 1) return {static_cast<int>(parts[0])};
  if (parts.size() != 3 || parts[1] < parts[0]) throw InputError("command line", field, "a range is first:last:step");
  // Each count is a search of its own: a range of millions would run for days.
  constexpr long long kMaxCounts = 1024;
  if ((parts[1] - parts[0]) / parts[2] >= kMaxCounts)
    throw InputError("command line", field, fmt::format("the range has more than {} GPU counts", kMaxCounts));
  std::vector<int> out;
  for (long long g = parts[0]; g <= parts[1]; g += parts[2]) out.push_back(static_cast<int>(g));
  return out;
}

}  // namespace ct
