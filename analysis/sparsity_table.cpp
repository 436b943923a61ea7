#include "analysis/sparsity_table.h"

#include <algorithm>
#include <map>

#include "analysis/stats.h"

namespace attnlab::analysis {
namespace {

// The statistics the `dcp` mixer reports (variants/pruning/pruned_attention.h).
constexpr const char* kDropped = "dropped_fraction";
constexpr const char* kKeep = "mean_keep";

struct RunSparsity {
  double dropped = 0;                       // all layers
  double mean_keep = 1;
  std::map<int64_t, double> layer_dropped;  // per layer
};

/// One (step, layer) value of each statistic, from /analysis/mixer_stats and, for files of schema
/// 1 (or resumed from one), /sparsity.
struct StatRow {
  int64_t step, layer;
  double dropped, keep;
};

std::vector<StatRow> sparsity_rows(const results::RunReader& reader) {
  std::vector<StatRow> rows;
  if (reader.has_table(results::kLegacySparsityTable)) {
    const char* t = results::kLegacySparsityTable;
    const auto steps = reader.ints(t, "step"), layers = reader.ints(t, "layer");
    const auto dropped = reader.doubles(t, kDropped), keep = reader.doubles(t, kKeep);
    for (size_t i = 0; i < steps.size(); ++i) rows.push_back({steps[i], layers[i], dropped[i], keep[i]});
  }
  if (reader.has_table(results::kMixerStatsTable)) {
    const char* t = results::kMixerStatsTable;
    const auto steps = reader.ints(t, "step"), layers = reader.ints(t, "layer");
    const auto names = reader.strings(t, "name");
    const auto values = reader.doubles(t, "value");
    std::map<std::pair<int64_t, int64_t>, StatRow> by_key;  // (step, layer)
    for (size_t i = 0; i < steps.size(); ++i) {
      if (names[i] != kDropped && names[i] != kKeep) continue;
      StatRow& row = by_key.try_emplace({steps[i], layers[i]}, StatRow{steps[i], layers[i], 0.0, 1.0}).first->second;
      (names[i] == kDropped ? row.dropped : row.keep) = values[i];
    }
    for (const auto& entry : by_key) rows.push_back(entry.second);
  }
  return rows;
}

/// The rows of the run's last evaluation step with pruning statistics.
std::optional<RunSparsity> last_sparsity(const LoadedRun& run) {
  const std::vector<StatRow> rows = sparsity_rows(*run.reader);
  if (rows.empty()) return std::nullopt;
  int64_t last = rows.front().step;
  for (const StatRow& row : rows) last = std::max(last, row.step);
  RunSparsity s;
  for (const StatRow& row : rows) {
    if (row.step != last) continue;
    if (row.layer == results::kAllLayers) {
      s.dropped = row.dropped, s.mean_keep = row.keep;
    } else {
      s.layer_dropped[row.layer] = row.dropped;
    }
  }
  return s;
}

Cell percent(const std::vector<double>& shares) {
  if (shares.empty()) return Cell::empty();
  const MeanStd m = mean_std(shares);
  return Cell::mean_std(100.0 * m.mean, 100.0 * m.std, m.n, 1);
}

}  // namespace

std::optional<double> final_pruned_fraction(const LoadedRun& run) {
  const auto s = last_sparsity(run);
  return s ? std::optional<double>(s->dropped) : std::nullopt;
}

std::optional<Table> sparsity_table(const ReportContext& context) {
  bool any = false;
  int64_t n_layers = 0;
  struct Row {
    const Variant* variant;
    std::vector<double> ppl, accuracy, dropped, keep;
    std::map<int64_t, std::vector<double>> layers;
  };
  std::vector<Row> rows;
  for (const Variant& variant : context.grouping.variants) {
    Row row{&variant, {}, {}, {}, {}, {}};
    for (const LoadedRun* run : variant.runs) {
      if (run->final_val) row.ppl.push_back(run->final_val->ppl), row.accuracy.push_back(run->final_val->accuracy);
      const auto s = last_sparsity(*run);
      if (!s) continue;
      any = true;
      row.dropped.push_back(s->dropped);
      row.keep.push_back(s->mean_keep);
      for (const auto& [layer, share] : s->layer_dropped) {
        row.layers[layer].push_back(share);
        n_layers = std::max(n_layers, layer + 1);
      }
    }
    rows.push_back(std::move(row));
  }
  if (!any) return std::nullopt;
  Table table;
  table.name = "sparsity";
  table.title = "Context pruned vs perplexity";
  table.columns = {"variant", "runs", "val ppl", "pruned %", "mean keep"};
  // probe tasks: the accuracy the pruning costs
  const bool any_accuracy = std::any_of(rows.begin(), rows.end(), [](const Row& row) { return mean_std(row.accuracy).n > 0; });
  if (any_accuracy) table.columns.insert(table.columns.begin() + 3, "val acc");
  for (int64_t l = 0; l < n_layers; ++l) table.columns.push_back("layer " + std::to_string(l) + " %");
  for (const Row& row : rows) {
    const MeanStd ppl = mean_std(row.ppl), keep = mean_std(row.keep);
    std::vector<Cell> cells = {Cell::text_cell(row.variant->label), Cell::number(row.variant->runs.size(), 0),
                               Cell::mean_std(ppl.mean, ppl.std, ppl.n, 3), percent(row.dropped),
                               row.keep.empty() ? Cell::empty() : Cell::mean_std(keep.mean, keep.std, keep.n, 3)};
    if (any_accuracy) {
      const MeanStd accuracy = mean_std(row.accuracy);
      cells.insert(cells.begin() + 3, Cell::mean_std(accuracy.mean, accuracy.std, accuracy.n, 4));
    }
    for (int64_t l = 0; l < n_layers; ++l) {
      const auto it = row.layers.find(l);
      cells.push_back(it == row.layers.end() ? Cell::empty() : percent(it->second));
    }
    table.rows.push_back(std::move(cells));
  }
  table.note =
      "pruned % = share of the causal (query, key) pairs with keep I = 0 at the last evaluation (validation windows, "
      "alpha = alpha_end); mean keep = mean of I over them. — = no pruning layer.";
  return table;
}

}  // namespace attnlab::analysis
