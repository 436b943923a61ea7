#pragma once
/// Plot: validation loss vs step, one line per variant (mean over its completed seeds at common
/// steps), each seed drawn thin when there are several; runs not completed dashed.

#include <optional>

#include "analysis/report_sections.h"

namespace attnlab::analysis {

std::optional<LinePlot> val_loss_plot(const ReportContext& context);

}  // namespace attnlab::analysis
