#include "analysis/sparsity_table.h"

#include <algorithm>
#include <map>

#include "analysis/stats.h"

namespace attnlab::analysis {
namespace {

constexpr const char* kSparsity = "/sparsity";
constexpr int64_t kAllLayers = -1;  // the trainer's row for every pruned layer together

struct RunSparsity {
  double dropped = 0;                       // all layers
  double mean_keep = 1;
  std::map<int64_t, double> layer_dropped;  // per layer
};

/// The rows of the run's last evaluation step in /sparsity.
std::optional<RunSparsity> last_sparsity(const LoadedRun& run) {
  const results::RunReader& reader = *run.reader;
  if (!reader.has_table(kSparsity)) return std::nullopt;
  const auto steps = reader.ints(kSparsity, "step");
  if (steps.empty()) return std::nullopt;
  const auto layers = reader.ints(kSparsity, "layer");
  const auto dropped = reader.doubles(kSparsity, "dropped_fraction");
  const auto keep = reader.doubles(kSparsity, "mean_keep");
  const int64_t last = *std::max_element(steps.begin(), steps.end());
  RunSparsity s;
  for (size_t i = 0; i < steps.size(); ++i) {
    if (steps[i] != last) continue;
    if (layers[i] == kAllLayers) {
      s.dropped = dropped[i], s.mean_keep = keep[i];
    } else {
      s.layer_dropped[layers[i]] = dropped[i];
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
