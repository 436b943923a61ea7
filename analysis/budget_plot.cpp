#include "analysis/budget_plot.h"

#include "analysis/budget_table.h"

namespace attnlab::analysis {

namespace {

LinePlot ratio_plot(const ReportContext& context, const std::vector<BudgetCurve>& curves,
                    std::map<double, MeanStd> BudgetCurve::*values) {
  LinePlot plot;
  plot.x_label = "compression ratio (context / budget per head)";
  plot.log_x = true;
  const bool one_variant = context.grouping.variants.size() <= 1;
  for (const auto& curve : curves) {
    if ((curve.*values).empty()) continue;
    Series s;
    s.name = one_variant ? curve.policy : curve.variant + ", " + curve.policy;
    for (const auto& [ratio, value] : curve.*values) {
      s.x.push_back(ratio);
      s.y.push_back(value.mean);
    }
    s.markers = true;
    s.dashed = curve.policy == "full";
    plot.series.push_back(std::move(s));
  }
  return plot;
}

}  // namespace

std::optional<LinePlot> budget_plot(const ReportContext& context) {
  const std::vector<BudgetCurve> curves = budget_curves(context);
  if (curves.empty()) return std::nullopt;
  LinePlot plot = ratio_plot(context, curves, &BudgetCurve::ppl);
  plot.title = "Perplexity vs KV-cache compression";
  plot.y_label = "validation perplexity";
  return plot;
}

std::optional<LinePlot> budget_accuracy_plot(const ReportContext& context) {
  LinePlot plot = ratio_plot(context, budget_curves(context), &BudgetCurve::accuracy);
  if (plot.series.empty()) return std::nullopt;
  plot.title = "Probe-task accuracy vs KV-cache compression";
  plot.y_label = "test accuracy";
  return plot;
}

}  // namespace attnlab::analysis
