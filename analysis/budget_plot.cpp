#include "analysis/budget_plot.h"

#include "analysis/budget_table.h"

namespace attnlab::analysis {

std::optional<LinePlot> budget_plot(const ReportContext& context) {
  const std::vector<BudgetCurve> curves = budget_curves(context);
  if (curves.empty()) return std::nullopt;
  LinePlot plot;
  plot.title = "Perplexity vs KV-cache compression";
  plot.x_label = "compression ratio (context / budget per head)";
  plot.y_label = "validation perplexity";
  plot.log_x = true;
  const bool one_variant = context.grouping.variants.size() <= 1;
  for (const auto& curve : curves) {
    Series s;
    s.name = one_variant ? curve.policy : curve.variant + ", " + curve.policy;
    for (const auto& [ratio, ppl] : curve.ppl) {
      s.x.push_back(ratio);
      s.y.push_back(ppl.mean);
    }
    s.markers = true;
    s.dashed = curve.policy == "full";
    plot.series.push_back(std::move(s));
  }
  return plot;
}

}  // namespace attnlab::analysis
