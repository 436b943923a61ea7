#include "analysis/table.h"

#include <fmt/format.h>

#include <cmath>

namespace attnlab::analysis {
namespace {

constexpr const char* kDash = "—";

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  return "\"" + replace_all(text, "\"", "\"\"") + "\"";
}

std::string latex_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '\\': out += "\\textbackslash{}"; break;
      case '&': case '%': case '$': case '#': case '_': case '{': case '}': out += '\\'; out += c; break;
      case '~': out += "\\textasciitilde{}"; break;
      case '^': out += "\\textasciicircum{}"; break;
      default: out += c;
    }
  }
  out = replace_all(out, "±", "$\\pm$");
  out = replace_all(out, "Δ", "$\\Delta$");
  return replace_all(out, kDash, "--");
}

/// A column is numeric (right-aligned) when every cell that is not "—" holds a number.
bool numeric_column(const Table& table, size_t column) {
  for (const auto& row : table.rows)
    if (column < row.size() && !row[column].value && row[column].text != kDash) return false;
  return true;
}

bool has_spread(const Table& table, size_t column) {
  for (const auto& row : table.rows)
    if (column < row.size() && row[column].spread) return true;
  return false;
}

}  // namespace

Cell Cell::text_cell(std::string text) { return {std::move(text), std::nullopt, std::nullopt}; }

Cell Cell::number(double value, int precision) {
  if (!std::isfinite(value)) return empty();
  return {fmt::format("{:.{}f}", value, precision), value, std::nullopt};
}

Cell Cell::mean_std(double mean, double std, size_t n, int precision) {
  if (n == 0 || !std::isfinite(mean)) return empty();
  if (n < 2) return {fmt::format("{:.{}f}", mean, precision), mean, std::nullopt};
  return {fmt::format("{:.{}f} ± {:.{}f}", mean, precision, std, precision), mean, std};
}

Cell Cell::delta(double value, int precision) {
  if (!std::isfinite(value)) return empty();
  return {fmt::format("{:+.{}f}", value, precision), value, std::nullopt};
}

Cell Cell::count(double value) {
  if (!std::isfinite(value)) return empty();
  const double magnitude = std::fabs(value);
  std::string text = magnitude >= 1e9   ? fmt::format("{:.2f}G", value / 1e9)
                     : magnitude >= 1e6 ? fmt::format("{:.2f}M", value / 1e6)
                     : magnitude >= 1e3 ? fmt::format("{:.1f}k", value / 1e3)
                                        : fmt::format("{:.0f}", value);
  return {text, value, std::nullopt};
}

Cell Cell::empty() { return text_cell(kDash); }

std::string to_markdown(const Table& table) {
  std::string out = "### " + table.title + "\n\n|";
  for (const auto& column : table.columns) out += " " + replace_all(column, "|", "\\|") + " |";
  out += "\n|";
  for (size_t i = 0; i < table.columns.size(); ++i) out += numeric_column(table, i) ? " ---: |" : " :--- |";
  out += "\n";
  for (const auto& row : table.rows) {
    out += "|";
    for (const auto& cell : row) out += " " + replace_all(cell.text, "|", "\\|") + " |";
    out += "\n";
  }
  if (!table.note.empty()) out += "\n" + table.note + "\n";
  return out;
}

std::string to_csv(const Table& table) {
  std::vector<std::string> header;
  for (size_t c = 0; c < table.columns.size(); ++c) {
    header.push_back(csv_field(table.columns[c]));
    if (has_spread(table, c)) header.push_back(csv_field(table.columns[c] + " std"));
  }
  std::string out = fmt::format("{}\n", fmt::join(header, ","));
  for (const auto& row : table.rows) {
    std::vector<std::string> fields;
    for (size_t c = 0; c < table.columns.size(); ++c) {
      const Cell& cell = c < row.size() ? row[c] : Cell{};
      fields.push_back(cell.value ? fmt::format("{}", *cell.value) : cell.text == kDash ? "" : csv_field(cell.text));
      if (has_spread(table, c)) fields.push_back(cell.spread ? fmt::format("{}", *cell.spread) : "");
    }
    out += fmt::format("{}\n", fmt::join(fields, ","));
  }
  return out;
}

std::string to_latex(const Table& table) {
  std::string out = "\\begin{table}[t]\n\\centering\n\\caption{" + latex_escape(table.title) + "}\n\\begin{tabular}{";
  for (size_t i = 0; i < table.columns.size(); ++i) out += numeric_column(table, i) ? 'r' : 'l';
  out += "}\n\\toprule\n";
  std::vector<std::string> header;
  for (const auto& column : table.columns) header.push_back(latex_escape(column));
  out += fmt::format("{} \\\\\n\\midrule\n", fmt::join(header, " & "));
  for (const auto& row : table.rows) {
    std::vector<std::string> cells;
    for (const auto& cell : row) cells.push_back(latex_escape(cell.text));
    out += fmt::format("{} \\\\\n", fmt::join(cells, " & "));
  }
  out += "\\bottomrule\n\\end{tabular}\n";
  if (!table.note.empty()) out += "\\par\\smallskip{\\footnotesize " + latex_escape(table.note) + "}\n";
  return out + "\\end{table}\n";
}

std::string to_html(const Table& table) {
  // a table wider than the page scrolls on its own instead of widening the page
  std::string out = "<div class=\"wide\"><table>\n<caption>" + html_escape(table.title) + "</caption>\n<thead><tr>";
  for (const auto& column : table.columns) out += "<th>" + html_escape(column) + "</th>";
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& row : table.rows) {
    out += "<tr>";
    for (size_t c = 0; c < row.size(); ++c)
      out += (numeric_column(table, c) ? "<td class=\"num\">" : "<td>") + html_escape(row[c].text) + "</td>";
    out += "</tr>\n";
  }
  out += "</tbody>\n</table></div>\n";
  if (!table.note.empty()) out += "<p class=\"note\">" + html_escape(table.note) + "</p>\n";
  return out;
}

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace attnlab::analysis
