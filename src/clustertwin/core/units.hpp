#pragma once
// Unit conversions. Every quantity in clustertwin is SI (seconds, bytes, FLOP, watts, joules)
// with the unit in the variable name; these constants convert from the units data files use.
namespace ct::units {
inline constexpr double kKilo = 1e3;
inline constexpr double kMega = 1e6;
inline constexpr double kGiga = 1e9;
inline constexpr double kTera = 1e12;
inline constexpr double kPeta = 1e15;
inline constexpr double kGB = 1e9;        // decimal gigabyte, bytes
inline constexpr double kGiB = 1073741824.0;
inline constexpr double kTB = 1e12;
inline constexpr double kMB = 1e6;
inline constexpr double kMicro = 1e-6;
inline constexpr double kNano = 1e-9;
inline constexpr double kSecondsPerHour = 3600.0;
}  // namespace ct::units
