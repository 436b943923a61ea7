#pragma once
/// Plot: validation perplexity vs KV compression ratio, one line per (variant, eviction policy).

#include <optional>

#include "analysis/report_sections.h"

namespace attnlab::analysis {

/// nullopt without /eval_budget rows.
std::optional<LinePlot> budget_plot(const ReportContext& context);

}  // namespace attnlab::analysis
