#include "analysis/report.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <ostream>

#include "core/atomic_file.h"
#include "core/error.h"

namespace attnlab::analysis {
namespace {

namespace fs = std::filesystem;

constexpr const char* kStyle = R"(body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1400px;color:#222}
table{border-collapse:collapse;margin:1em 0}caption{text-align:left;font-weight:bold;margin-bottom:.4em}
th,td{border-bottom:1px solid #ddd;padding:.3em .7em;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td:first-child{min-width:12em}.wide{overflow-x:auto}
th{border-bottom:2px solid #444}.note,.meta{color:#555;font-size:.9em}.warnings{color:#a40}svg{display:block;margin:1em 0})";

std::string now_text() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M UTC", &utc);
  return text;
}

}  // namespace

std::vector<Claim> find_claims(const ReportOptions& options, std::vector<std::string>& warnings) {
  if (!options.claims_file.empty()) {
    if (!fs::is_regular_file(options.claims_file)) throw UserError("--claims " + options.claims_file + ": no such file");
    return load_claims(options.claims_file);
  }
  std::vector<std::string> files, seen;  // as written (for messages); canonical
  for (const auto& path : options.paths) {
    const fs::path index = fs::path(path) / "index.yaml";
    if (!fs::is_regular_file(index)) continue;
    std::string file;
    try {
      const YAML::Node node = YAML::LoadFile(index.string())["experiment_file"];
      if (node && node.IsScalar()) file = node.as<std::string>();
    } catch (const YAML::Exception&) {
      continue;  // the sweep's own reader reports a broken index
    }
    if (file.empty()) continue;
    if (!fs::is_regular_file(file)) {
      warnings.push_back(index.string() + ": experiment file " + file + " not found from here; no claims (use --claims)");
      continue;
    }
    // one study resumed or extended from another folder may name its file relatively: claims once
    const std::string same = fs::weakly_canonical(file).string();
    if (std::find(seen.begin(), seen.end(), same) == seen.end()) seen.push_back(same), files.push_back(file);
  }
  std::vector<Claim> claims;
  for (const auto& file : files)
    for (auto& claim : load_claims(file)) claims.push_back(std::move(claim));
  return claims;
}

Report build_report(const ReportOptions& options, const ReportSections& sections) {
  if (options.paths.empty()) throw UserError("report: give at least one run or sweep directory");
  if (!options.baseline.empty()) BaselineSpec::parse(options.baseline);
  Report report;
  report.paths = options.paths;
  report.run_set = load_runs(options.paths);
  report.grouping = group_runs(report.run_set.runs, options.ignored_keys, options.baseline);
  if (!options.best_of.empty()) {
    std::vector<std::string> keys;
    for (const auto& run : report.run_set.runs)
      for (const auto& entry : run.config) keys.push_back(entry.first);
    if (std::find(keys.begin(), keys.end(), options.best_of) == keys.end())
      throw UserError("--best-of " + options.best_of + ": no run has this config key" + did_you_mean(options.best_of, keys));
  }
  const ReportContext context{report.run_set.runs, report.grouping, options.baseline, options.best_of};
  report.scorecard = scorecard_table(find_claims(options, report.claim_warnings), context);
  for (const auto& build : sections.tables)
    if (auto table = build(context)) report.tables.push_back(std::move(*table));
  for (const auto& build : sections.plots)
    if (auto plot = build(context)) report.plots.push_back(std::move(*plot));
  for (const auto& build : sections.figures)
    if (auto figure = build(context)) report.figures.push_back(std::move(*figure));
  return report;
}

std::string render_markdown(const Report& report) {
  std::string out;
  if (report.scorecard) out += to_markdown(*report.scorecard) + "\n";
  for (const auto& warning : report.claim_warnings) out += "- " + warning + "\n\n";
  for (const auto& table : report.tables) out += to_markdown(table) + "\n";
  for (const auto& figure : report.figures) out += "### " + figure.title + "\n\n" + figure.markdown + "\n";
  if (!report.run_set.gap_warnings.empty()) {
    out += "Runs with missing rows (a crash and resume before attnlab flushed rows with each checkpoint):\n\n";
    for (const auto& warning : report.run_set.gap_warnings) out += "- " + warning + "\n";
    out += "\n";
  }
  if (!report.run_set.warnings.empty()) {
    out += "Skipped files:\n\n";
    for (const auto& warning : report.run_set.warnings) out += "- " + warning + "\n";
  }
  return out;
}

std::string render_latex(const Report& report) {
  std::string out = "% attnlab report; needs \\usepackage{booktabs}\n";
  if (report.scorecard) out += to_latex(*report.scorecard) + "\n";
  for (const auto& table : report.tables) out += to_latex(table) + "\n";
  return out;
}

std::string render_html(const Report& report) {
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>attnlab report</title>\n"
      "<style>\n{}\n</style>\n</head>\n<body>\n<h1>attnlab report</h1>\n"
      "<p class=\"meta\">{} runs from {} &middot; generated {}</p>\n",
      kStyle, report.run_set.runs.size(), html_escape(join(report.paths)), now_text());
  if (!report.run_set.warnings.empty()) {
    out += "<ul class=\"warnings\">\n";
    for (const auto& warning : report.run_set.warnings) out += "<li>skipped " + html_escape(warning) + "</li>\n";
    out += "</ul>\n";
  }
  if (!report.run_set.gap_warnings.empty()) {
    out += "<ul class=\"warnings\">\n";
    for (const auto& warning : report.run_set.gap_warnings) out += "<li>missing rows: " + html_escape(warning) + "</li>\n";
    out += "</ul>\n";
  }
  if (report.scorecard) out += to_html(*report.scorecard);
  for (const auto& table : report.tables) out += to_html(table);
  for (const auto& plot : report.plots) out += render_svg(plot);
  for (const auto& figure : report.figures) {
    out += "<h2 id=\"" + html_escape(figure.name) + "\">" + html_escape(figure.title) + "</h2>\n" + figure.html + "\n";
  }
  return out + "</body>\n</html>\n";
}

void write_report(const Report& report, const std::string& out_dir) {
  std::error_code error;
  fs::create_directories(out_dir, error);
  if (error) throw UserError(out_dir + ": cannot create the report directory (" + error.message() + ")");
  const fs::path dir(out_dir);
  write_file_atomic(dir / "report.md", render_markdown(report));
  for (size_t i = 0; i < report.tables.size(); ++i)
    write_file_atomic(dir / (i == 0 ? std::string("report.csv") : "report_" + report.tables[i].name + ".csv"),
               to_csv(report.tables[i]));
  if (report.scorecard) write_file_atomic(dir / "report_claims.csv", to_csv(*report.scorecard));
  write_file_atomic(dir / "report.tex", render_latex(report));
  write_file_atomic(dir / "report.html", render_html(report));
}

std::string default_out_dir(const std::vector<std::string>& paths) {
  if (paths.empty()) return "report";
  const fs::path first(paths.front());
  return ((fs::is_regular_file(first) ? first.parent_path() : first) / "report").string();
}

int run_report(const ReportOptions& options, std::ostream& out, std::ostream& err) {
  const Report report = build_report(options);
  for (const auto& warning : report.run_set.warnings) err << "warning: " << warning << " (skipped)\n";
  for (const auto& warning : report.run_set.gap_warnings) err << "warning: " << warning << "\n";
  for (const auto& warning : report.claim_warnings) err << "warning: " << warning << "\n";
  const std::string out_dir = options.out_dir.empty() ? default_out_dir(options.paths) : options.out_dir;
  write_report(report, out_dir);
  if (report.scorecard) out << to_markdown(*report.scorecard) << "\n";
  for (const auto& table : report.tables) out << to_markdown(table) << "\n";
  err << "report: " << report.run_set.runs.size() << " runs, " << report.grouping.variants.size() << " variants -> "
      << out_dir << "/report.{md,csv,tex,html}\n";
  return 0;
}

}  // namespace attnlab::analysis
