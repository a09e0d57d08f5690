// The SVG writers: geometry derived by hand from the canvas constants they document.
#include <gtest/gtest.h>

#include <string>

#include "clustertwin/report/svg_plot.hpp"

using namespace ct;

namespace {

int count(const std::string& s, const std::string& what) {
  int n = 0;
  for (std::size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

// Plot frame: y from 400 px (value 0) up to 40 px (the tallest bar); two bars of 1+2 and 3+0.
TEST(SvgStackedBars, SegmentsStackToTheBarTotals) {
  const std::string svg = svg_stacked_bars({"t", "x", "y"}, {"a", "b"}, {{"one", {1, 2}}, {"two", {3, 0}}});
  // The frame, the segments 1, 2 and 3 (a zero-height one is left out) and two legend swatches.
  EXPECT_EQ(count(svg, "<rect x="), 1 + 3 + 2);
  // Bar "one": segment a spans 0..1 of 3 -> 120 px tall, from y = 280 to 400.
  EXPECT_NE(svg.find("y=\"280.0\" width=\"127.5\" height=\"120.0\""), std::string::npos) << svg;
  // Both bars reach the top of the frame (y = 40): the top y tick and both bar totals read 3.
  EXPECT_EQ(count(svg, ">3</text>"), 3);
  EXPECT_NE(svg.find(">one</text>"), std::string::npos);
  EXPECT_NE(svg.find(">two</text>"), std::string::npos);
}

TEST(SvgStackedBars, SameInputSameBytes) {
  const std::vector<StackedBar> bars{{"h100", {0.5, 0.25}}, {"gb200", {0.2, 0.1}}};
  EXPECT_EQ(svg_stacked_bars({"t", "x", "y"}, {"a", "b"}, bars), svg_stacked_bars({"t", "x", "y"}, {"a", "b"}, bars));
}
