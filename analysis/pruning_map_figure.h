#pragma once
/// The pruning-map figure: for every run with /analysis/pruning (written by `attnlab analyze
/// pruning`), its latest sample as a token heat map, one line of text per pruning layer, each
/// token shaded by the share of later queries that no longer see it (white: kept by all, dark
/// red: dropped right away). Markdown shows the same text with tokens dropped for at least half
/// of the later queries in [brackets].

#include <optional>

#include "analysis/report_sections.h"

namespace attnlab::analysis {

/// nullopt when no run has /analysis/pruning.
std::optional<Figure> pruning_map_figure(const ReportContext& context);

}  // namespace attnlab::analysis
