#pragma once
/// A small SVG line-plot writer for the HTML report: axes with "nice" ticks, grid, axis labels,
/// title, legend, optional log scales. One <polyline class="series"> per series.

#include <string>
#include <vector>

namespace attnlab::analysis {

/// One line of a plot. Non-finite points (and non-positive ones on a log axis) are skipped.
struct Series {
  std::string name;           ///< legend text
  std::vector<double> x, y;
  std::string color;          ///< CSS colour; "" picks from the palette by legend order
  double width = 2.0;         ///< stroke width, px
  double opacity = 1.0;
  bool dashed = false;
  bool markers = false;       ///< a dot on every point (always drawn for a one-point series)
  bool line = true;           ///< false: dots only (sparse points beside a dense line)
  bool in_legend = true;      ///< thin per-seed lines set false
};

struct LinePlot {
  std::string title;
  std::string x_label;
  std::string y_label;
  bool log_x = false;
  bool log_y = false;
  int width = 760;            ///< px, legend included
  int height = 420;           ///< px
  std::vector<Series> series;
};

/// Colour i of the palette (cycles; ten colours, colour-blind friendly order).
std::string palette_color(size_t i);

/// Up to about `target` round tick values (1, 2, 5 x 10^k) covering [lo, hi].
std::vector<double> nice_ticks(double lo, double hi, int target = 6);
/// Tick values for a log axis: decades, with 2 and 5 between them when the range is short.
std::vector<double> log_ticks(double lo, double hi);
/// Short tick text: "0.5", "1200", "15k", "2M", "1e-05".
std::string tick_label(double value);

/// The plot as a standalone <svg> element (inline in HTML or saved as .svg).
std::string render_svg(const LinePlot& plot);

}  // namespace attnlab::analysis
