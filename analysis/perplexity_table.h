#pragma once
/// The main table: final validation perplexity and bpc per variant, mean ± std over seeds, Δ ppl vs
/// the baseline, parameters, throughput and status. Runs that failed or are still running get their
/// own rows, marked, next to the completed runs of their variant.

#include <optional>

#include "analysis/report_sections.h"

namespace attnlab::analysis {

/// Columns: variant, status, seeds, step, val ppl, val bpc, Δ ppl, params, tokens/s; val acc when
/// some run is a probe task; AR-hit ppl, other ppl and AR-hit % when some run logged the AR-hit split.
std::optional<Table> perplexity_table(const ReportContext& context);

}  // namespace attnlab::analysis
