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

struct Frame {
  double px0 = kLeft, px1 = kWidth - kRight, py0 = kHeight - kBottom, py1 = kTop;
};

// Canvas, title, plot frame, axis labels and horizontal grid lines with y tick labels.
std::string frame_with_y_axis(const PlotSpec& spec, const Frame& f) {
  const Axis ay{spec.y_min, spec.y_max, false};
  std::string o = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{}\" y=\"22\" font-size=\"15\" text-anchor=\"middle\">{}</text>\n",
      kWidth, kHeight, (f.px0 + f.px1) / 2, escape_xml(spec.title));
  o += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"black\"/>\n", f.px0, f.py1,
                   f.px1 - f.px0, f.py0 - f.py1);
  for (int i = 0; i <= 4; ++i) {  // y ticks at quarters
    const double v = spec.y_min + (spec.y_max - spec.y_min) * i / 4.0, y = ay.map(v, f.py0, f.py1);
    o += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>\n", f.px0, y, f.px1, y);
    o += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{:g}</text>\n", f.px0 - 6, y + 4, v);
  }
  o += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n", (f.px0 + f.px1) / 2, kHeight - 18,
                   escape_xml(spec.x_label));
  o += fmt::format("<text transform=\"translate(18,{:.1f}) rotate(-90)\" text-anchor=\"middle\">{}</text>\n",
                   (f.py0 + f.py1) / 2, escape_xml(spec.y_label));
  return o;
}

std::string legend_entry(const Frame& f, std::size_t i, const std::string& name, bool swatch) {
  const char* colour = kColours[i % std::size(kColours)];
  const double ly = f.py1 + 10 + 20.0 * static_cast<double>(i);
  std::string o =
      swatch ? fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"24\" height=\"10\" fill=\"{}\"/>\n", f.px1 + 12, ly - 5, colour)
             : fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\" stroke-width=\"3\"/>\n",
                           f.px1 + 12, ly, f.px1 + 36, ly, colour);
  return o + fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>\n", f.px1 + 42, ly + 4, escape_xml(name));
}

}  // namespace

std::string svg_stacked_bars(const PlotSpec& spec, const std::vector<std::string>& segments,
                             const std::vector<StackedBar>& bars) {
  PlotSpec s = spec;
  s.y_min = 0;
  s.y_max = 0;
  for (const StackedBar& b : bars) {
    double total = 0;
    for (double v : b.values) total += v;
    s.y_max = std::max(s.y_max, total);
  }
  if (s.y_max <= 0) s.y_max = 1;
  const Frame f;
  const Axis ay{s.y_min, s.y_max, false};
  std::string o = frame_with_y_axis(s, f);
  const double slot = (f.px1 - f.px0) / static_cast<double>(std::max<std::size_t>(1, bars.size())), width = 0.5 * slot;
  for (std::size_t b = 0; b < bars.size(); ++b) {
    const double x = f.px0 + slot * (static_cast<double>(b) + 0.25);
    double base = 0;
    for (std::size_t k = 0; k < bars[b].values.size() && k < segments.size(); ++k) {
      const double top = base + bars[b].values[k];
      const double y_top = ay.map(top, f.py0, f.py1), y_base = ay.map(base, f.py0, f.py1);
      if (y_base - y_top > 0)
        o += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\"/>\n", x, y_top, width,
                         y_base - y_top, kColours[k % std::size(kColours)]);
      base = top;
    }
    o += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n", x + width / 2, f.py0 + 16,
                     escape_xml(bars[b].label));
    o += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{:.3g}</text>\n", x + width / 2,
                     ay.map(base, f.py0, f.py1) - 5, base);
  }
  for (std::size_t k = 0; k < segments.size(); ++k) o += legend_entry(f, k, segments[k], true);
  return o + "</svg>\n";
}

std::string svg_line_plot(const PlotSpec& spec, const std::vector<PlotSeries>& series) {
  double x_lo = spec.log_x ? 1 : 0, x_hi = spec.log_x ? 10 : 1;
  bool any = false;
  for (const PlotSeries& s : series)
    for (const auto& [x, y] : s.points) {
      x_lo = any ? std::min(x_lo, x) : x, x_hi = any ? std::max(x_hi, x) : x, any = true;
    }
  if (spec.log_x) x_lo = std::pow(10, std::floor(std::log10(std::max(x_lo, 1e-9)))), x_hi = std::pow(10, std::ceil(std::log10(std::max(x_hi, x_lo * 10))));
  const Axis ax{x_lo, x_hi, spec.log_x}, ay{spec.y_min, spec.y_max, false};
  const Frame f;
  std::string o = frame_with_y_axis(spec, f);
  const int x_ticks = spec.log_x ? static_cast<int>(std::round(std::log10(x_hi / x_lo))) : 4;
  for (int i = 0; i <= x_ticks; ++i) {
    const double v = spec.log_x ? x_lo * std::pow(10, i) : x_lo + (x_hi - x_lo) * i / 4.0, x = ax.map(v, f.px0, f.px1);
    o += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>\n", x, f.py0, x, f.py1);
    o += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n", x, f.py0 + 16, tick_label(v));
  }
  for (std::size_t i = 0; i < series.size(); ++i) {
    std::string pts;
    for (const auto& [x, y] : series[i].points) pts += fmt::format("{:.1f},{:.1f} ", ax.map(x, f.px0, f.px1), ay.map(y, f.py0, f.py1));
    if (!pts.empty())
      o += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/>\n",
                       kColours[i % std::size(kColours)], pts);
    o += legend_entry(f, i, series[i].name, false);
  }
  return o + "</svg>\n";
}

}  // namespace ct
