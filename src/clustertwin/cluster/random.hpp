#pragma once
// Portable random variates on std::mt19937_64. The standard distributions' algorithms differ
// between standard libraries; these do not, so a seed gives the same jobs and failures everywhere.
#include <cmath>
#include <cstdint>
#include <random>

namespace ct::cluster {

// Uniform in [0, 1) with 53 random bits.
inline double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

inline double exponential(std::mt19937_64& rng, double rate_per_s) { return -std::log1p(-uniform01(rng)) / rate_per_s; }

// Standard normal by Box-Muller (one of the pair; simplicity over speed).
inline double standard_normal(std::mt19937_64& rng) {
  const double u1 = 1.0 - uniform01(rng);  // (0, 1]: log is finite
  const double u2 = uniform01(rng);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

// Index drawn with probability weights[i] / sum(weights).
template <class Weights>
int weighted_index(std::mt19937_64& rng, const Weights& weights) {
  double total = 0;
  for (double w : weights) total += w;
  double x = uniform01(rng) * total;
  int i = 0;
  for (double w : weights) {
    if (x < w) return i;
    x -= w;
    ++i;
  }
  return i - 1;
}

}  // namespace ct::cluster
