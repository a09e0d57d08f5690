#pragma once
// Number flags go through the same check as numbers in files (core/number_check): a flag given
// as 0, -1 or nan is an error naming it, not silently the default.
#include <CLI/CLI.hpp>

#include "clustertwin/core/number_check.hpp"

namespace ct::cli {

inline CLI::Validator checked(const NumberRule& rule) {
  return CLI::Validator(
      [rule](std::string& text) {
        const std::optional<double> x = parse_number_text(text);
        return x ? number_problem(*x, rule) : "not a number: '" + text + "'";
      },
      "");
}

}  // namespace ct::cli
