#include "analysis/pruning_map_figure.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "analysis/table.h"

namespace attnlab::analysis {
namespace {

constexpr const char* kPruning = "/analysis/pruning";

struct MapToken {
  std::string text;
  int64_t dropped_at = -1;
  double share = 0;
};

/// Layer -> tokens in position order, of the run's latest sample.
std::map<int64_t, std::vector<MapToken>> latest_map(const LoadedRun& run) {
  std::map<int64_t, std::vector<MapToken>> layers;
  const results::RunReader& reader = *run.reader;
  if (!reader.has_table(kPruning)) return layers;
  const auto samples = reader.ints(kPruning, "sample");
  if (samples.empty()) return layers;
  const int64_t latest = *std::max_element(samples.begin(), samples.end());
  const auto layer = reader.ints(kPruning, "layer");
  const auto position = reader.ints(kPruning, "position");
  const auto token = reader.strings(kPruning, "token");
  const auto dropped_at = reader.ints(kPruning, "dropped_at");
  const auto share = reader.doubles(kPruning, "dropped_share");
  for (size_t i = 0; i < samples.size(); ++i) {
    if (samples[i] != latest) continue;
    auto& tokens = layers[layer[i]];
    if (static_cast<int64_t>(tokens.size()) <= position[i]) tokens.resize(position[i] + 1);
    tokens[position[i]] = {token[i], dropped_at[i], share[i]};
  }
  return layers;
}

std::string label_of(const ReportContext& context, const LoadedRun& run) {
  for (const Variant& variant : context.grouping.variants)
    if (std::find(variant.runs.begin(), variant.runs.end(), &run) != variant.runs.end()) return variant.label;
  return run.dir;
}

double pruned_fraction(const std::vector<MapToken>& tokens) {
  const auto n = static_cast<int64_t>(tokens.size());
  int64_t dropped = 0;
  for (const auto& t : tokens) dropped += t.dropped_at < 0 ? 0 : n - t.dropped_at;
  return n > 1 ? static_cast<double>(dropped) / static_cast<double>(n * (n - 1) / 2) : 0.0;
}

std::string html_token(const MapToken& t, int64_t position) {
  const std::string tip = t.dropped_at < 0
                              ? fmt::format("#{} kept by every later query", position)
                              : fmt::format("#{} dropped from query {} on ({:.0f}% of later queries)", position,
                                            t.dropped_at, 100.0 * t.share);
  return fmt::format("<span title=\"{}\" style=\"background:rgba(200,30,30,{:.2f})\">{}</span>", html_escape(tip),
                     t.share, html_escape(t.text));
}

}  // namespace

std::optional<Figure> pruning_map_figure(const ReportContext& context) {
  Figure figure;
  figure.name = "pruning_map";
  figure.title = "Pruning maps (Dynamic Context Pruning)";
  for (const LoadedRun& run : context.runs) {
    const auto layers = latest_map(run);
    if (layers.empty()) continue;
    const std::string label = label_of(context, run);
    figure.html += "<p class=\"meta\">" + html_escape(label) + " &middot; " + html_escape(run.dir) + "</p>\n";
    figure.html += "<table style=\"font-family:monospace;white-space:pre-wrap\">\n";
    figure.markdown += "**" + label + "** (" + run.dir + ")\n\n";
    for (const auto& [layer, tokens] : layers) {
      const double pruned = pruned_fraction(tokens);
      figure.html += fmt::format("<tr><th>layer {}<br>{:.0f}% pruned</th><td>", layer, 100.0 * pruned);
      std::string text;
      for (size_t j = 0; j < tokens.size(); ++j) {
        figure.html += html_token(tokens[j], static_cast<int64_t>(j));
        const std::string& t = tokens[j].text;
        text += tokens[j].share >= 0.5 ? "[" + t + "]" : t;
      }
      figure.html += "</td></tr>\n";
      std::replace(text.begin(), text.end(), '\n', ' ');
      figure.markdown += fmt::format("- layer {} ({:.0f}% pruned): {}\n", layer, 100.0 * pruned, text);
    }
    figure.html += "</table>\n";
    figure.markdown += "\n";
  }
  if (figure.html.empty()) return std::nullopt;
  figure.markdown += "[token] = dropped for at least half of the later queries.\n";
  figure.html += "<p class=\"note\">Shade = share of the later queries that no longer see the token "
                 "(attnlab analyze pruning). Hover a token for the query that dropped it.</p>\n";
  return figure;
}

}  // namespace attnlab::analysis
