#include "clustertwin/core/number_check.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "clustertwin/core/error.hpp"

namespace ct {

namespace {

// Whole numbers in full (a bound of 16777216, not 1.67772e+07), others as %g.
std::string show(double x) { return std::floor(x) == x && std::fabs(x) < 1e18 ? fmt::format("{:.0f}", x) : fmt::format("{:g}", x); }

}  // namespace

std::string number_problem(double x, const NumberRule& rule) {
  if (!std::isfinite(x)) return "not a finite number";
  if (rule.min_exclusive ? !(x > rule.min) : !(x >= rule.min))
    return fmt::format("must be {} {}, got {}", rule.min_exclusive ? ">" : ">=", show(rule.min), show(x));
  if (x > rule.max) return fmt::format("must be at most {}, got {}", show(rule.max), show(x));
  if (rule.integer && std::floor(x) != x) return fmt::format("must be a whole number, got {}", show(x));
  return "";
}

double check_number(double x, const NumberRule& rule, const std::string& file, const std::string& field) {
  const std::string problem = number_problem(x, rule);
  if (!problem.empty()) throw InputError(file, field, problem);
  return x;
}

long long check_count(double x, const NumberRule& rule, const std::string& file, const std::string& field) {
  NumberRule whole = rule;
  whole.integer = true;
  return static_cast<long long>(check_number(x, whole, file, field));
}

std::optional<double> parse_number_text(const std::string& text) {
  double x = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, x);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return x;
}

}  // namespace ct
