#include "analysis/val_loss_plot.h"

#include <map>

#include "analysis/stats.h"
#include "results/schema.h"

namespace attnlab::analysis {
namespace {

Series curve(const LoadedRun& run) {
  Series s;
  for (const EvalPoint& point : run.val) {
    s.x.push_back(static_cast<double>(point.step));
    s.y.push_back(point.loss);
  }
  s.dashed = run.status != results::status::kCompleted;
  return s;
}

/// Mean loss at the steps every run reports.
Series mean_curve(const std::vector<const LoadedRun*>& runs) {
  std::map<int64_t, std::vector<double>> by_step;
  for (const LoadedRun* run : runs)
    for (const EvalPoint& point : run->val) by_step[point.step].push_back(point.loss);
  Series s;
  for (const auto& [step, losses] : by_step) {
    if (losses.size() != runs.size()) continue;
    s.x.push_back(static_cast<double>(step));
    s.y.push_back(mean_std(losses).mean);
  }
  return s;
}

}  // namespace

std::optional<LinePlot> val_loss_plot(const ReportContext& context) {
  LinePlot plot;
  plot.title = "Validation loss vs step";
  plot.x_label = "step";
  plot.y_label = "validation loss (nats/token)";
  bool any_points = false;
  for (size_t v = 0; v < context.grouping.variants.size(); ++v) {
    const Variant& variant = context.grouping.variants[v];
    const std::string color = palette_color(v);
    std::vector<const LoadedRun*> completed, with_points;
    for (const LoadedRun* run : variant.runs) {
      if (run->val.empty()) continue;
      with_points.push_back(run);
      if (run->status == results::status::kCompleted) completed.push_back(run);
    }
    if (with_points.empty()) continue;
    any_points = true;
    if (with_points.size() > 1)
      for (const LoadedRun* run : with_points) {
        Series thin = curve(*run);
        thin.name = variant.label + " seed " + std::to_string(run->seed);
        thin.color = color, thin.width = 1, thin.opacity = 0.35, thin.in_legend = false;
        plot.series.push_back(std::move(thin));
      }
    const std::vector<const LoadedRun*>& averaged = completed.empty() ? with_points : completed;
    Series main = averaged.size() == 1 ? curve(*averaged.front()) : mean_curve(averaged);
    main.dashed = completed.empty();
    main.name = variant.label + (averaged.size() > 1 ? " (n=" + std::to_string(averaged.size()) + ")" : "") +
                (completed.empty() ? " (" + averaged.front()->status + ")" : "");
    main.color = color;
    plot.series.push_back(std::move(main));
  }
  if (!any_points) return std::nullopt;
  return plot;
}

}  // namespace attnlab::analysis
