#pragma once
// The one check every number a user gives goes through (flags, YAML, JSON, CSV): finite, within
// its range, and whole where a count is meant. Errors name the file, the field and the reason, so
// NaN, a negative count or a 2^32 GPU quota is bad input (exit 2), never a confident result.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace ct {

struct NumberRule {
  double min = -std::numeric_limits<double>::max();
  double max = std::numeric_limits<double>::max();
  bool integer = false;        // a count: no fraction
  bool min_exclusive = false;  // (min, max]: "must be > min"
};

// Bounds of counts, chosen so that products of two of them still fit in 64 bits and each fits in
// an int (the simulators index with int).
inline constexpr double kMaxCount = 1 << 30;
inline constexpr NumberRule kPositiveCount{1, kMaxCount, true};
inline constexpr NumberRule kNonNegativeCount{0, kMaxCount, true};
inline constexpr NumberRule kPositiveReal{0, std::numeric_limits<double>::max(), false, true};
inline constexpr NumberRule kNonNegativeReal{0, std::numeric_limits<double>::max()};
inline constexpr NumberRule kFraction{0, 1};

// Why `x` breaks `rule` ("not a finite number", "must be >= 1, got 0"), or empty when it is fine.
std::string number_problem(double x, const NumberRule& rule);
// `x`, or InputError(file, field, reason) when it breaks the rule.
double check_number(double x, const NumberRule& rule, const std::string& file, const std::string& field);
// A count within the rule, as an integer.
long long check_count(double x, const NumberRule& rule, const std::string& file, const std::string& field);
// Parses all of `text` as a number (std::from_chars: no suffix, no spaces); nullopt if it is not one.
std::optional<double> parse_number_text(const std::string& text);

// a * b, or nullopt when it overflows 64 bits (replica x GPU counts, token totals).
inline std::optional<long long> checked_mul(long long a, long long b) {
  long long out = 0;
  if (__builtin_mul_overflow(a, b, &out)) return std::nullopt;
  return out;
}

}  // namespace ct
