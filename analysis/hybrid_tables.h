#pragma once
/// The Deconstructing-Attention tables (PAPERS.md §1):
/// - Table 1: per mixer, final val ppl of the uniform model (`hybrid.layers: none`), of the hybrid
///   (variant layers interleaved with standard ones) and of the hybrid evaluated with its variant
///   layers removed ("skip", /eval split val_skip), mean ± std over seeds, plus the logit scale
///   (largest |pre-normalisation score| over layers at the last eval) of the uniform and hybrid models.
/// - Placement: per placement of the standard layers (`hybrid.layers`), final val ppl per mixer.
/// Both read the mixer's name from the run's `mixer=<preset>` override when there is one (the preset
/// name the researcher chose), else from `mixer.name`.

#include <optional>
#include <string>

#include "analysis/report_sections.h"

namespace attnlab::analysis {

/// Table 1; nullopt unless the runs include both uniform (`hybrid.layers: none` or no hybrid) and
/// hybrid runs.
std::optional<Table> deconstructing_table(const ReportContext& context);

/// Table 1 split on AR-hit tokens and the rest (uniform, hybrid, skip); nullopt unless some run
/// logged the AR-hit split and some run is a hybrid.
std::optional<Table> deconstructing_ar_table(const ReportContext& context);

/// The placement table; nullopt unless `hybrid.layers` takes at least two hybrid placements.
std::optional<Table> placement_table(const ReportContext& context);

/// The preset name of a run's mixer ("approximate"), or mixer.name.
std::string mixer_label(const LoadedRun& run);

/// The hybrid placement of a run: `hybrid.layers`, or "none" when the run has no hybrid.
std::string hybrid_placement(const LoadedRun& run);

}  // namespace attnlab::analysis
