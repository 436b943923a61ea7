#pragma once
/// The persistence section: Scissorhands' persistence ratio per layer (/analysis/persistence,
/// written by `attnlab analyze persistence`), mean over the runs of each variant.

#include <cstdint>
#include <map>
#include <optional>

#include "analysis/report_sections.h"

namespace attnlab::analysis {

/// A run's latest ratio per layer (layers without attention weights have none; empty when the run
/// has no /analysis/persistence).
std::map<int64_t, double> persistence_by_layer(const LoadedRun& run);

/// Columns: variant, runs, then one per layer. nullopt when no run has the table.
std::optional<Table> persistence_table(const ReportContext& context);

}  // namespace attnlab::analysis
