#include "clustertwin/report/svg_plot.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace ct {

namespace {

// Canvas geometry, pixels.
constexpr double kWidth = 760, kHeight = 460, kLeft = 70, kRight = 180, kTop = 40, kBottom = 60;
const char* const kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};

std::string escape_xml(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else if (c == '"') out += "&quot;";
    else out += c;
  }
  return out;
}

struct Axis {
  double lo, hi;
  bool log;
  double map(double v, double px_lo, double px_hi) const {
    const double a = log ? std::log10(lo) : lo, b = log ? std::log10(hi) : hi;
    const double x = log ? std::log10(std::max(v, lo)) : v;
    return b == a ? px_lo : px_lo + (x - a) / (b - a) * (px_hi - px_lo);
  }
};

std::string tick_label(double v) {
  if (v >= 86400 && std::fmod(v, 86400) == 0) return fmt::format("{}d", v / 86400);
  if (v >= 3600 && std::fmod(v, 3600) == 0) return fmt::format("{}h", v / 3600);
  if (v >= 60 && std::fmod(v, 60) == 0) return fmt::format("{}min", v / 60);
  return fmt::format("{:g}", v);
}

}  // namespace

std::string svg_line_plot(const PlotSpec& spec, const std::vector<PlotSeries>& series) {
  double x_lo = spec.log_x ? 1 : 0, x_hi = spec.log_x ? 10 : 1;
  bool any = false;
  for (const PlotSeries& s : series)
    for (const auto& [x, y] : s.points) {
      x_lo = any ? std::min(x_lo, x) : x, x_hi = any ? std::max(x_hi, x) : x, any = true;
    }
  if (spec.log_x) x_lo = std::pow(10, std::floor(std::log10(std::max(x_lo, 1e-9)))), x_hi = std::pow(10, std::ceil(std::log10(std::max(x_hi, x_lo * 10))));
  const Axis ax{x_lo, x_hi, spec.log_x}, ay{spec.y_min, spec.y_max, false};
  const double px0 = kLeft, px1 = kWidth - kRight, py0 = kHeight - kBottom, py1 = kTop;
  std::string o = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{}\" y=\"22\" font-size=\"15\" text-anchor=\"middle\">{}</text>\n",
      kWidth, kHeight, (px0 + px1) / 2, escape_xml(spec.title));
  o += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"black\"/>\n", px0, py1, px1 - px0, py0 - py1);
  for (int i = 0; i <= 4; ++i) {  // y ticks at quarters
    const double v = spec.y_min + (spec.y_max - spec.y_min) * i / 4.0, y = ay.map(v, py0, py1);
    o += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>\n", px0, y, px1, y);
    o += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{:g}</text>\n", px0 - 6, y + 4, v);
  }
  const int x_ticks = spec.log_x ? static_cast<int>(std::round(std::log10(x_hi / x_lo))) : 4;
  for (int i = 0; i <= x_ticks; ++i) {
    const double v = spec.log_x ? x_lo * std::pow(10, i) : x_lo + (x_hi - x_lo) * i / 4.0, x = ax.map(v, px0, px1);
    o += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>\n", x, py0, x, py1);
    o += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n", x, py0 + 16, tick_label(v));
  }
  o += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n", (px0 + px1) / 2, kHeight - 18, escape_xml(spec.x_label));
  o += fmt::format("<text transform=\"translate(18,{:.1f}) rotate(-90)\" text-anchor=\"middle\">{}</text>\n", (py0 + py1) / 2, escape_xml(spec.y_label));
  for (std::size_t i = 0; i < series.size(); ++i) {
    const char* colour = kColours[i % std::size(kColours)];
    std::string pts;
    for (const auto& [x, y] : series[i].points) pts += fmt::format("{:.1f},{:.1f} ", ax.map(x, px0, px1), ay.map(y, py0, py1));
    if (!pts.empty()) o += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/>\n", colour, pts);
    const double ly = py1 + 10 + 20.0 * i;
    o += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\" stroke-width=\"3\"/>\n", px1 + 12, ly, px1 + 36, ly, colour);
    o += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>\n", px1 + 42, ly + 4, escape_xml(series[i].name));
  }
  return o + "</svg>\n";
}

}  // namespace ct
