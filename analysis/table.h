#pragma once
/// A report table and its renderings: Markdown, CSV, LaTeX (booktabs) and HTML.

#include <optional>
#include <string>
#include <vector>

namespace attnlab::analysis {

/// One cell: the text shown in Markdown/LaTeX/HTML, and for CSV the raw number (and spread) when
/// the cell is numeric.
struct Cell {
  std::string text;
  std::optional<double> value;
  std::optional<double> spread;

  static Cell text_cell(std::string text);
  /// A number with `precision` decimals; "—" for NaN.
  static Cell number(double value, int precision);
  /// "mean ± std" with `precision` decimals (just the mean when n < 2); "—" when n == 0.
  static Cell mean_std(double mean, double std, size_t n, int precision);
  /// A signed difference "+1.23" / "-0.40".
  static Cell delta(double value, int precision);
  /// A count with k / M / G suffix ("1.23M").
  static Cell count(double value);
  /// "—": no value.
  static Cell empty();
};

struct Table {
  std::string name;                  ///< file-name stem: "perplexity" -> report_perplexity.csv
  std::string title;                 ///< heading in md / tex / html
  std::vector<std::string> columns;  ///< headers
  std::vector<std::vector<Cell>> rows;
  std::string note;                  ///< one line under the table ("" for none)
};

/// GitHub-flavoured Markdown table with the title as a `###` heading and the note below.
std::string to_markdown(const Table& table);
/// CSV (RFC 4180): numeric cells as full-precision numbers; a column holding spreads gets a second
/// column "<header> std".
std::string to_csv(const Table& table);
/// A LaTeX `table` with a booktabs `tabular` (needs \usepackage{booktabs}).
std::string to_latex(const Table& table);
/// An HTML <table> with a <caption>; text escaped.
std::string to_html(const Table& table);

/// Escapes &, <, >, " for HTML/SVG text.
std::string html_escape(const std::string& text);

}  // namespace attnlab::analysis
