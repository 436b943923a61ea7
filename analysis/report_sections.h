#pragma once
/// The report's sections: a table builder or a plot builder is a function from the loaded runs to a
/// Table or a LinePlot (nullopt when the runs hold nothing for it, e.g. no /eval_budget table).
/// Adding a table (ppl vs KV budget, sparsity, ...) = one builder in its own file pair + one line in
/// builtin_sections().

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "analysis/run_set.h"
#include "analysis/svg_plot.h"
#include "analysis/table.h"
#include "analysis/variants.h"

namespace attnlab::analysis {

/// What every builder sees.
struct ReportContext {
  const std::vector<LoadedRun>& runs;
  const Grouping& grouping;  ///< runs grouped into variants (rows)
  std::string baseline;      ///< "key=value" ("" for none)
  std::string best_of;       ///< a config key (train.lr): task cells keep its best value ("" for all runs)
};

/// A free-form figure that is neither a table nor a line plot (e.g. a token heat map).
struct Figure {
  std::string name;      ///< stem, for anchors
  std::string title;     ///< heading
  std::string html;      ///< the figure's HTML (styles inline), placed under the heading in report.html
  std::string markdown;  ///< its plain rendering for report.md
};

using TableBuilder = std::function<std::optional<Table>(const ReportContext&)>;
using PlotBuilder = std::function<std::optional<LinePlot>(const ReportContext&)>;
using FigureBuilder = std::function<std::optional<Figure>(const ReportContext&)>;

struct ReportSections {
  std::vector<TableBuilder> tables;  ///< in report order; the first is report.csv
  std::vector<PlotBuilder> plots;
  std::vector<FigureBuilder> figures;
};

/// The built-in sections: the perplexity, Deconstructing-Attention, KV-budget, persistence and
/// sparsity tables; the validation-loss and perplexity-vs-compression plots; the pruning map.
ReportSections builtin_sections();

}  // namespace attnlab::analysis
