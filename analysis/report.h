#pragma once
/// `attnlab report <dir>...`: finds every run.h5 below the directories, groups the runs into variants
/// and writes the report: Markdown (also printed), CSV, LaTeX and a self-contained report.html with
/// inline SVG plots.

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "analysis/claims.h"
#include "analysis/report_sections.h"
#include "analysis/run_set.h"
#include "analysis/variants.h"

namespace attnlab::analysis {

struct ReportOptions {
  std::vector<std::string> paths;                                ///< run or sweep directories (or run.h5 files)
  std::string out_dir;                                           ///< "" = <first directory>/report
  std::string baseline = "mixer=softmax";                        ///< key=value on the flattened config; "" = no Δ column values
  std::vector<std::string> ignored_keys = default_ignored_keys();  ///< glob patterns never used as sweep axes
  std::string best_of;                                           ///< e.g. train.lr: task tables keep its best value per cell
  std::string claims_file;                                       ///< experiment file whose `claims:` make the scorecard;
                                                                 ///< "" = the experiment_file of each sweep's index.yaml
};

/// Everything the report shows, before rendering.
/// Move-only: `grouping` points into `run_set.runs`.
struct Report {
  Report() = default;
  Report(Report&&) = default;
  Report& operator=(Report&&) = default;
  Report(const Report&) = delete;
  Report& operator=(const Report&) = delete;

  RunSet run_set;                ///< the runs, and one warning per file that could not be read
  Grouping grouping;             ///< points into run_set.runs
  std::optional<Table> scorecard;  ///< the claims scorecard (analysis/claims.h), shown first
  std::vector<std::string> claim_warnings;  ///< index.yaml files whose experiment file is gone
  std::vector<Table> tables;
  std::vector<LinePlot> plots;
  std::vector<Figure> figures;
  std::vector<std::string> paths;
};

/// Loads and groups the runs and builds every section. UserError for no runs at all.
Report build_report(const ReportOptions& options, const ReportSections& sections = builtin_sections());

/// The claims of `options.claims_file`, or of the experiment files named by the sweeps' index.yaml
/// (once each; one warning per index whose file is gone). UserError for a malformed claim.
std::vector<Claim> find_claims(const ReportOptions& options, std::vector<std::string>& warnings);

/// All tables as Markdown, with the warnings at the end.
std::string render_markdown(const Report& report);
/// All tables as LaTeX.
std::string render_latex(const Report& report);
/// One self-contained HTML page: tables and inline SVG plots; no scripts, no external resources.
std::string render_html(const Report& report);

/// Writes report.md, report.csv (first table), report_<name>.csv (other tables), report.tex and
/// report.html into `out_dir` (created).
void write_report(const Report& report, const std::string& out_dir);

/// The default out dir: <first path>/report (a file's directory when the first path is a file).
std::string default_out_dir(const std::vector<std::string>& paths);

/// The command: builds, prints the Markdown to `out`, writes the files, prints "warning: ..." for
/// each unreadable file and the output location to `err`. Returns the exit code (0).
int run_report(const ReportOptions& options, std::ostream& out, std::ostream& err);

}  // namespace attnlab::analysis
