#pragma once
/// The persistence section: Scissorhands' persistence ratio per layer (/analysis/persistence,
/// written by `attnlab analyze persistence`), mean over the runs of each variant.

#include <optional>

#include "analysis/report_sections.h"

namespace attnlab::analysis {

/// Columns: variant, runs, then one per layer. nullopt when no run has the table.
std::optional<Table> persistence_table(const ReportContext& context);

}  // namespace attnlab::analysis
