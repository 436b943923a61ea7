#pragma once
/// The Dynamic-Context-Pruning section: per variant (e.g. per λ), the final validation perplexity
/// next to the share of context the model pruned at its last evaluation (the `dcp` mixer's
/// statistics "dropped_fraction" and "mean_keep" in /analysis/mixer_stats, or /sparsity in files
/// of schema 1), overall and per layer; mean ± std over the variant's runs.

#include <optional>

#include "analysis/report_sections.h"

namespace attnlab::analysis {

/// Columns: variant, runs, val ppl (and val acc when some run is a probe task), pruned, mean keep,
/// then "layer i" (pruned share). Variants
/// without pruning statistics (e.g. a dense reference) are listed with "—" so the table compares
/// them. nullopt when no run has any.
std::optional<Table> sparsity_table(const ReportContext& context);

/// The share of context the run pruned over all layers at its last evaluation (0-1); nullopt
/// when it has no pruning statistics.
std::optional<double> final_pruned_fraction(const LoadedRun& run);

}  // namespace attnlab::analysis
