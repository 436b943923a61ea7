#pragma once
/// Plots: validation perplexity (and a probe task's accuracy) vs KV compression ratio, one line per
/// (variant, eviction policy).

#include <optional>

#include "analysis/report_sections.h"

namespace attnlab::analysis {

/// nullopt without /eval_budget rows.
std::optional<LinePlot> budget_plot(const ReportContext& context);

/// nullopt unless some /eval_budget row has an accuracy.
std::optional<LinePlot> budget_accuracy_plot(const ReportContext& context);

}  // namespace attnlab::analysis
