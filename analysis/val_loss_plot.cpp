#include "analysis/val_loss_plot.h"

#include <cmath>
#include <map>

#include "analysis/stats.h"
#include "results/schema.h"

namespace attnlab::analysis {
namespace {

using Metric = double EvalPoint::*;

bool has_values(const LoadedRun& run, Metric metric) {
  for (const EvalPoint& point : run.val)
    if (std::isfinite(point.*metric)) return true;
  return false;
}

Series curve(const LoadedRun& run, Metric metric) {
  Series s;
  for (const EvalPoint& point : run.val) {
    s.x.push_back(static_cast<double>(point.step));
    s.y.push_back(point.*metric);
  }
  s.dashed = run.status != results::status::kCompleted;
  return s;
}

Series mean_curve(const std::vector<const LoadedRun*>& runs, Metric metric) {
  std::map<int64_t, std::vector<double>> by_step;
  for (const LoadedRun* run : runs)
    for (const EvalPoint& point : run->val) by_step[point.step].push_back(point.*metric);
  return mean_at_common_steps(by_step, runs.size());
}

std::optional<LinePlot> eval_metric_plot(const ReportContext& context, Metric metric, LinePlot plot) {
  bool any_points = false;
  for (size_t v = 0; v < context.grouping.variants.size(); ++v) {
    const Variant& variant = context.grouping.variants[v];
    const std::string color = palette_color(v);
    std::vector<const LoadedRun*> completed, with_points;
    for (const LoadedRun* run : variant.runs) {
      if (!has_values(*run, metric)) continue;
      with_points.push_back(run);
      if (run->status == results::status::kCompleted) completed.push_back(run);
    }
    if (with_points.empty()) continue;
    any_points = true;
    if (with_points.size() > 1)
      for (const LoadedRun* run : with_points) {
        Series thin = curve(*run, metric);
        thin.name = variant.label + " seed " + std::to_string(run->seed);
        thin.color = color, thin.width = 1, thin.opacity = 0.35, thin.in_legend = false;
        plot.series.push_back(std::move(thin));
      }
    const std::vector<const LoadedRun*>& averaged = completed.empty() ? with_points : completed;
    Series main = averaged.size() == 1 ? curve(*averaged.front(), metric) : mean_curve(averaged, metric);
    main.dashed = completed.empty();
    main.name = variant.label + (averaged.size() > 1 ? " (n=" + std::to_string(averaged.size()) + ")" : "") +
                (completed.empty() ? " (" + averaged.front()->status + ")" : "");
    main.color = color;
    plot.series.push_back(std::move(main));
  }
  if (!any_points) return std::nullopt;
  return plot;
}

}  // namespace

Series mean_at_common_steps(const std::map<int64_t, std::vector<double>>& by_step, size_t runs) {
  Series s;
  for (const auto& [step, values] : by_step) {
    if (values.size() != runs) continue;
    s.x.push_back(static_cast<double>(step));
    s.y.push_back(mean_std(values).mean);
  }
  return s;
}

std::optional<LinePlot> val_loss_plot(const ReportContext& context) {
  LinePlot plot;
  plot.title = "Validation loss vs step";
  plot.x_label = "step";
  plot.y_label = "validation loss (nats/token)";
  return eval_metric_plot(context, &EvalPoint::loss, std::move(plot));
}

std::optional<LinePlot> accuracy_plot(const ReportContext& context) {
  LinePlot plot;
  plot.title = "Accuracy at the scored positions vs step";
  plot.x_label = "step";
  plot.y_label = "test accuracy";
  return eval_metric_plot(context, &EvalPoint::accuracy, std::move(plot));
}

}  // namespace attnlab::analysis
