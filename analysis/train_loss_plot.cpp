#include "analysis/train_loss_plot.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "analysis/val_loss_plot.h"
#include "results/schema.h"

namespace attnlab::analysis {
namespace {

/// Mean /train loss over `runs` at the steps every one of them logged.
Series mean_train_curve(const std::vector<const LoadedRun*>& runs) {
  std::map<int64_t, std::vector<double>> by_step;
  for (const LoadedRun* run : runs) {
    if (!run->reader->has_table(results::kTrainTable)) continue;
    const auto steps = run->reader->ints(results::kTrainTable, "step");
    const auto loss = run->reader->doubles(results::kTrainTable, "loss");
    for (size_t i = 0; i < std::min(steps.size(), loss.size()); ++i) by_step[steps[i]].push_back(loss[i]);
  }
  return mean_at_common_steps(by_step, runs.size());
}

}  // namespace

std::vector<double> trailing_mean(const std::vector<double>& values, size_t window) {
  std::vector<double> out;
  window = std::max<size_t>(window, 1);
  double sum = 0;
  size_t finite = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::isfinite(values[i])) sum += values[i], ++finite;
    if (i >= window && std::isfinite(values[i - window])) sum -= values[i - window], --finite;
    out.push_back(finite ? sum / static_cast<double>(finite) : std::nan(""));
  }
  return out;
}

std::optional<LinePlot> train_loss_plot(const ReportContext& context) {
  LinePlot plot;
  plot.title = "Training loss (line, smoothed) and validation loss (dots)";
  plot.x_label = "step";
  plot.y_label = "loss (nats/token)";
  for (size_t v = 0; v < context.grouping.variants.size(); ++v) {
    const Variant& variant = context.grouping.variants[v];
    std::vector<const LoadedRun*> completed, all;
    for (const LoadedRun* run : variant.runs) {
      all.push_back(run);
      if (run->status == results::status::kCompleted) completed.push_back(run);
    }
    const std::vector<const LoadedRun*>& runs = completed.empty() ? all : completed;
    Series train = mean_train_curve(runs);
    if (train.x.empty()) continue;
    train.y = trailing_mean(train.y, train.y.size() / 20);
    train.name = variant.label + (runs.size() > 1 ? " (n=" + std::to_string(runs.size()) + ")" : "");
    train.color = palette_color(v);
    train.dashed = completed.empty();
    std::map<int64_t, std::vector<double>> val_by_step;
    for (const LoadedRun* run : runs)
      for (const EvalPoint& point : run->val) val_by_step[point.step].push_back(point.loss);
    Series val = mean_at_common_steps(val_by_step, runs.size());
    val.name = variant.label + " val", val.color = train.color, val.line = false, val.in_legend = false;
    plot.series.push_back(std::move(train));
    if (!val.x.empty()) plot.series.push_back(std::move(val));
  }
  if (plot.series.empty()) return std::nullopt;
  return plot;
}

}  // namespace attnlab::analysis
