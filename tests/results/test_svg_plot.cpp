#include <catch2/catch.hpp>

#include <cmath>
#include <regex>

#include "analysis/svg_plot.h"

using namespace attnlab::analysis;

namespace {

bool approx_equal(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::fabs(a[i] - b[i]) > 1e-9 * std::max(1.0, std::fabs(b[i]))) return false;
  return true;
}

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("nice ticks are round and cover the range", "[svg_plot]") {
  CHECK(approx_equal(nice_ticks(0, 1000, 5), {0, 200, 400, 600, 800, 1000}));
  CHECK(approx_equal(nice_ticks(2.13, 2.87, 6), {2.2, 2.4, 2.6, 2.8}));
  CHECK(approx_equal(nice_ticks(-1, 1, 4), {-1, -0.5, 0, 0.5, 1}));
  CHECK(approx_equal(log_ticks(1, 1000), {1, 10, 100, 1000}));
  CHECK(approx_equal(log_ticks(3, 40), {5, 10, 20}));
  CHECK(tick_label(20000) == "20k");
  CHECK(tick_label(0.25) == "0.25");
  CHECK(tick_label(3000000) == "3M");
}

TEST_CASE("an SVG line plot has axes, labels, a legend and a polyline per series", "[svg_plot]") {
  LinePlot plot;
  plot.title = "Validation loss vs step";
  plot.x_label = "step";
  plot.y_label = "loss <nats>";
  plot.series.push_back({"softmax", {0, 100, 200}, {3.0, 2.5, 2.2}});
  plot.series.push_back({"taylor", {0, 100, 200}, {3.1, 2.7, 2.4}});
  Series thin{"taylor seed 2", {0, 100}, {3.2, 2.8}};
  thin.in_legend = false;
  thin.width = 1;
  plot.series.push_back(thin);
  plot.series.push_back({"one point", {150}, {2.6}});
  const std::string svg = render_svg(plot);

  CHECK(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0) == 0);
  CHECK_THAT(svg, Catch::EndsWith("</svg>\n"));
  CHECK(count(svg, "<polyline class=\"series\"") == 4);
  CHECK(count(svg, "<circle") == 1);
  CHECK_THAT(svg, Catch::Contains(">step</text>"));
  CHECK_THAT(svg, Catch::Contains(">loss &lt;nats&gt;</text>"));
  CHECK_THAT(svg, Catch::Contains(">Validation loss vs step</text>"));
  CHECK_THAT(svg, Catch::Contains("<g class=\"legend\">"));
  CHECK_THAT(svg, Catch::Contains(">softmax</text>"));
  CHECK_FALSE(svg.find(">taylor seed 2</text>") != std::string::npos);
  CHECK(count(svg, "<g") == count(svg, "</g>"));
  CHECK(count(svg, "<text") == count(svg, "</text>"));
  // every coordinate is inside the canvas
  const std::regex point(R"((\d+\.\d),(\d+\.\d))");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), point); it != std::sregex_iterator(); ++it) {
    CHECK(std::stod((*it)[1]) <= plot.width);
    CHECK(std::stod((*it)[2]) <= plot.height);
  }
}

TEST_CASE("log axes skip non-positive points and say so", "[svg_plot]") {
  LinePlot plot;
  plot.title = "ppl vs budget";
  plot.x_label = "KV budget";
  plot.y_label = "ppl";
  plot.log_x = plot.log_y = true;
  plot.series.push_back({"h2o", {0, 16, 64, 256}, {100, 40, 20, NAN}});
  const std::string svg = render_svg(plot);
  CHECK_THAT(svg, Catch::Contains(">KV budget (log)</text>"));
  CHECK_THAT(svg, Catch::Contains(">ppl (log)</text>"));
  const auto start = svg.find("points=\"", svg.find("<polyline")) + 8;
  const std::string points = svg.substr(start, svg.find('"', start) - start);
  CHECK(std::count(points.begin(), points.end(), ',') == 2);
}

TEST_CASE("an empty plot still renders", "[svg_plot]") {
  LinePlot plot;
  plot.title = "empty";
  const std::string svg = render_svg(plot);
  CHECK_THAT(svg, Catch::Contains("</svg>"));
}
