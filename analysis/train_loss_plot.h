#pragma once
/// Plot: the training loss of every variant as a dense smoothed line (mean over its completed
/// seeds at common logged steps, then a trailing mean over 1/20 of the points), with the
/// validation loss as dots of the same colour: the gap between the two is the overfit.

#include <optional>

#include "analysis/report_sections.h"

namespace attnlab::analysis {

std::optional<LinePlot> train_loss_plot(const ReportContext& context);

/// Trailing mean over `window` points (fewer at the start), the smoothing of the plot.
std::vector<double> trailing_mean(const std::vector<double>& values, size_t window);

}  // namespace attnlab::analysis
