#include "analysis/svg_plot.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

#include "analysis/table.h"

namespace attnlab::analysis {
namespace {

constexpr double kLeft = 70, kTop = 36, kBottom = 52, kLegendWidth = 200;

struct Axis {
  double lo, hi;
  bool log;
  double to_unit(double v) const {
    return log ? (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo)) : (v - lo) / (hi - lo);
  }
};

bool usable(double v, bool log) { return std::isfinite(v) && (!log || v > 0); }

/// Data range of one coordinate over all series, padded, widened when degenerate.
Axis make_axis(const LinePlot& plot, bool is_x, bool log) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& s : plot.series)
    for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i)
      if (usable(s.x[i], plot.log_x) && usable(s.y[i], plot.log_y)) {
        const double v = is_x ? s.x[i] : s.y[i];
        lo = std::min(lo, v), hi = std::max(hi, v);
      }
  if (!std::isfinite(lo)) return {log ? 1.0 : 0.0, log ? 10.0 : 1.0, log};
  if (log) {
    if (hi / lo < 1.0001) lo /= 2, hi *= 2;
    if (!is_x) lo /= 1.05, hi *= 1.05;
    return {lo, hi, true};
  }
  if (hi - lo < 1e-12 * std::max(1.0, std::fabs(hi))) {
    const double pad = std::max(std::fabs(hi) * 0.1, 1e-9);
    lo -= pad, hi += pad;
  } else if (!is_x) {
    const double pad = 0.05 * (hi - lo);
    lo -= pad, hi += pad;
  }
  return {lo, hi, false};
}

std::string dash(const Series& s) { return s.dashed ? " stroke-dasharray=\"6 4\"" : ""; }

/// An XML id from the title: letters and digits kept, anything else '-'.
std::string clip_id(const std::string& title) {
  std::string id = "clip-";
  for (char c : title) id += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
  return id;
}

}  // namespace

std::string palette_color(size_t i) {
  static const char* kColors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  return kColors[i % 10];
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
  if (!(hi > lo)) return {lo};
  const double raw = (hi - lo) / std::max(1, target);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * magnitude >= raw) {
      step = m * magnitude;
      break;
    }
  std::vector<double> ticks;
  for (double t = std::ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step)
    ticks.push_back(std::fabs(t) < step * 1e-9 ? 0.0 : t);
  return ticks;
}

std::vector<double> log_ticks(double lo, double hi) {
  const int first = static_cast<int>(std::floor(std::log10(lo)));
  const int last = static_cast<int>(std::ceil(std::log10(hi)));
  std::vector<double> ticks;
  for (int e = first; e <= last; ++e) {
    const double t = std::pow(10.0, e);
    if (t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9)) ticks.push_back(t);
  }
  if (ticks.size() >= 3) return ticks;
  ticks.clear();
  for (int e = first; e <= last; ++e)
    for (const double multiple : {1.0, 2.0, 5.0}) {
      const double t = multiple * std::pow(10.0, e);
      if (t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9)) ticks.push_back(t);
    }
  if (ticks.size() >= 3) return ticks;
  return nice_ticks(lo, hi, 5);
}

std::string tick_label(double value) {
  const double magnitude = std::fabs(value);
  if (magnitude >= 1e6 && std::fmod(magnitude, 1e5) == 0) return fmt::format("{:g}M", value / 1e6);
  if (magnitude >= 1e4 && std::fmod(magnitude, 100) == 0) return fmt::format("{:g}k", value / 1e3);
  return fmt::format("{:.4g}", value);
}

std::string render_svg(const LinePlot& plot) {
  const double width = plot.width, height = plot.height;
  const double plot_w = width - kLeft - kLegendWidth, plot_h = height - kTop - kBottom;
  const Axis ax = make_axis(plot, true, plot.log_x), ay = make_axis(plot, false, plot.log_y);
  auto px = [&](double v) { return kLeft + ax.to_unit(v) * plot_w; };
  auto py = [&](double v) { return kTop + (1 - ay.to_unit(v)) * plot_h; };

  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"sans-serif\" font-size=\"12\" role=\"img\" aria-label=\"{2}\">\n"
      "<rect width=\"{0}\" height=\"{1}\" fill=\"white\"/>\n"
      "<text class=\"title\" x=\"{3}\" y=\"20\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">{2}</text>\n",
      width, height, html_escape(plot.title), kLeft + plot_w / 2);

  out += "<g class=\"x-axis\">\n";
  for (double t : ax.log ? log_ticks(ax.lo, ax.hi) : nice_ticks(ax.lo, ax.hi)) {
    const double x = px(t);
    out += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#e5e5e5\"/>"
                       "<text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n",
                       x, kTop, kTop + plot_h, kTop + plot_h + 16, tick_label(t));
  }
  out += fmt::format("<text class=\"axis-label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n</g>\n",
                     kLeft + plot_w / 2, height - 10, html_escape(plot.x_label + (plot.log_x ? " (log)" : "")));
  out += "<g class=\"y-axis\">\n";
  for (double t : ay.log ? log_ticks(ay.lo, ay.hi) : nice_ticks(ay.lo, ay.hi)) {
    const double y = py(t);
    out += fmt::format("<line x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2}\" y2=\"{1:.1f}\" stroke=\"#e5e5e5\"/>"
                       "<text x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">{5}</text>\n",
                       kLeft, y, kLeft + plot_w, kLeft - 6, y + 4, tick_label(t));
  }
  out += fmt::format("<text class=\"axis-label\" transform=\"translate(16 {}) rotate(-90)\" text-anchor=\"middle\">{}</text>\n</g>\n",
                     kTop + plot_h / 2, html_escape(plot.y_label + (plot.log_y ? " (log)" : "")));
  out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#444\"/>\n", kLeft,
                     kTop, plot_w, plot_h);

  size_t legend_index = 0;
  std::vector<std::string> colors;
  for (const auto& s : plot.series) colors.push_back(s.color.empty() ? palette_color(legend_index++) : s.color);
  out += fmt::format("<defs><clipPath id=\"{}\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/></clipPath></defs>\n",
                     clip_id(plot.title), kLeft, kTop, plot_w, plot_h);
  out += fmt::format("<g clip-path=\"url(#{})\">\n", clip_id(plot.title));
  for (size_t k = 0; k < plot.series.size(); ++k) {
    const Series& s = plot.series[k];
    std::string points;
    size_t n_points = 0;
    for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i)
      if (usable(s.x[i], plot.log_x) && usable(s.y[i], plot.log_y)) {
        points += fmt::format("{}{:.1f},{:.1f}", points.empty() ? "" : " ", px(s.x[i]), py(s.y[i]));
        ++n_points;
      }
    if (s.line)
      out += fmt::format("<polyline class=\"series\" data-name=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{}\" "
                         "stroke-opacity=\"{}\" stroke-linejoin=\"round\"{} points=\"{}\"/>\n",
                         html_escape(s.name), colors[k], s.width, s.opacity, dash(s), points);
    if (s.markers || !s.line || n_points == 1)
      for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i)
        if (usable(s.x[i], plot.log_x) && usable(s.y[i], plot.log_y))
          out += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\" fill-opacity=\"{}\"/>\n", px(s.x[i]),
                             py(s.y[i]), colors[k], s.opacity);
  }
  out += "</g>\n<g class=\"legend\">\n";
  double y = kTop + 8;
  for (size_t k = 0; k < plot.series.size(); ++k) {
    const Series& s = plot.series[k];
    if (!s.in_legend) continue;
    const double x = kLeft + plot_w + 14;
    out += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"{}\"{}/>"
                       "<text x=\"{}\" y=\"{}\">{}</text>\n",
                       x, y, x + 22, y, colors[k], std::max(2.0, s.width), dash(s), x + 28, y + 4,
                       html_escape(s.name.size() > 26 ? s.name.substr(0, 25) + "…" : s.name));
    y += 18;
  }
  return out + "</g>\n</svg>\n";
}

}  // namespace attnlab::analysis
