#pragma once
// A small SVG line-plot writer (no dependencies): axes, ticks, a legend, linear or log10 x.
// Output is a pure function of the input (fixed number formatting), so reports stay byte-stable.
#include <string>
#include <utility>
#include <vector>

namespace ct {

struct PlotSeries {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y), x ascending
};

struct PlotSpec {
  std::string title, x_label, y_label;
  bool log_x = false;  // x must then be > 0
  double y_min = 0, y_max = 1;
};

std::string svg_line_plot(const PlotSpec& spec, const std::vector<PlotSeries>& series);

// Horizontal-axis categories, each a bar stacked from `segments` (same order in every bar).
struct StackedBar {
  std::string label;
  std::vector<double> values;  // one per segment, >= 0
};

// Stacked bars with a legend naming the segments; y runs from 0 to the tallest bar.
std::string svg_stacked_bars(const PlotSpec& spec, const std::vector<std::string>& segments,
                             const std::vector<StackedBar>& bars);

}  // namespace ct
