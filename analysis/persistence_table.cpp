#include "analysis/persistence_table.h"

#include <algorithm>
#include <map>

#include "analysis/stats.h"

namespace attnlab::analysis {
namespace {

constexpr const char* kPersistence = results::kPersistenceTable;

}  // namespace

std::map<int64_t, double> persistence_by_layer(const LoadedRun& run) {
  std::map<int64_t, double> ratios;
  if (!run.reader->has_table(kPersistence)) return ratios;
  const auto layers = run.reader->ints(kPersistence, "layer");
  const auto values = run.reader->doubles(kPersistence, "ratio");
  for (size_t i = 0; i < layers.size(); ++i) ratios[layers[i]] = values[i];
  return ratios;
}

std::optional<Table> persistence_table(const ReportContext& context) {
  std::vector<std::pair<const Variant*, std::map<int64_t, std::vector<double>>>> rows;
  int64_t n_layers = 0;
  for (const Variant& variant : context.grouping.variants) {
    std::map<int64_t, std::vector<double>> by_layer;
    for (const LoadedRun* run : variant.runs)
      for (const auto& [layer, ratio] : persistence_by_layer(*run)) by_layer[layer].push_back(ratio);
    if (by_layer.empty()) continue;
    n_layers = std::max(n_layers, by_layer.rbegin()->first + 1);
    rows.emplace_back(&variant, std::move(by_layer));
  }
  if (rows.empty()) return std::nullopt;
  Table table;
  table.name = "persistence";
  table.title = "Persistence of importance per layer";
  table.columns = {"variant"};
  for (int64_t l = 0; l < n_layers; ++l) table.columns.push_back("layer " + std::to_string(l));
  for (const auto& [variant, by_layer] : rows) {
    std::vector<Cell> row = {Cell::text_cell(variant->label)};
    for (int64_t l = 0; l < n_layers; ++l) {
      const auto it = by_layer.find(l);
      if (it == by_layer.end()) {
        row.push_back(Cell::empty());
        continue;
      }
      const MeanStd m = mean_std(it->second);
      row.push_back(Cell::mean_std(m.mean, m.std, m.n, 3));
    }
    table.rows.push_back(std::move(row));
  }
  table.note =
      "Share of the first half's tokens pivotal in the second half (weight > 1/t) that were already pivotal "
      "in the first half (Scissorhands); attnlab analyze persistence. — = no attention weights.";
  return table;
}

}  // namespace attnlab::analysis
