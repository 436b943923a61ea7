#pragma once
/// The Dynamic-Context-Pruning section: per variant (e.g. per λ), the final validation perplexity
/// next to the share of context the model pruned at its last evaluation (/sparsity, written by the
/// trainer for runs with `dcp` layers), overall and per layer; mean ± std over the variant's runs.

#include <optional>

#include "analysis/report_sections.h"

namespace attnlab::analysis {

/// Columns: variant, runs, val ppl (and val acc when some run is a probe task), pruned, mean keep,
/// then "layer i" (pruned share). Variants
/// without /sparsity rows (e.g. a dense reference) are listed with "—" so the table compares
/// them. nullopt when no run has /sparsity.
std::optional<Table> sparsity_table(const ReportContext& context);

/// The share of context the run pruned over all layers at its last /sparsity step (0-1);
/// nullopt when it has no /sparsity rows.
std::optional<double> final_pruned_fraction(const LoadedRun& run);

}  // namespace attnlab::analysis
