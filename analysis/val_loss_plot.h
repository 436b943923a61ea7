#pragma once
/// Plots of an /eval metric vs step, one line per variant (mean over its completed seeds at common
/// steps), each seed drawn thin when there are several; runs not completed dashed.

#include <map>
#include <optional>
#include <vector>

#include "analysis/report_sections.h"

namespace attnlab::analysis {

/// Validation loss vs step.
std::optional<LinePlot> val_loss_plot(const ReportContext& context);

/// Probe-task accuracy vs step; nullopt unless some run logged accuracy.
std::optional<LinePlot> accuracy_plot(const ReportContext& context);

/// Step -> one value per run: the mean at the steps where all `runs` have a value.
Series mean_at_common_steps(const std::map<int64_t, std::vector<double>>& by_step, size_t runs);

}  // namespace attnlab::analysis
