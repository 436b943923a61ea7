#include "config/scalar.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <regex>
#include <set>

namespace attnlab::cfg {
PlainType plain_type(const std::string& text) {
  static const std::set<std::string> nulls = {"", "~", "null", "Null", "NULL"};
  static const std::set<std::string> bools = {"true", "True", "TRUE", "false", "False", "FALSE"};
  static const std::regex integer("[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+");
  static const std::regex floating(
      "[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)");
  if (nulls.count(text)) return PlainType::Null;
  if (bools.count(text)) return PlainType::Bool;
  if (std::regex_match(text, integer)) return PlainType::Integer;
  if (std::regex_match(text, floating)) return PlainType::Float;
  return PlainType::String;
}

std::optional<int64_t> parse_integer(const std::string& text) {
  size_t i = (!text.empty() && (text[0] == '-' || text[0] == '+')) ? 1 : 0;
  if (i == text.size()) return std::nullopt;
  for (size_t j = i; j < text.size(); ++j)
    if (!std::isdigit(static_cast<unsigned char>(text[j]))) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (errno == ERANGE) return std::nullopt;
  return static_cast<int64_t>(value);
}

std::optional<double> parse_number(const std::string& text) {
  static const std::map<std::string, double> specials = {
      {".inf", HUGE_VAL}, {".Inf", HUGE_VAL}, {".INF", HUGE_VAL},
      {"+.inf", HUGE_VAL}, {"+.Inf", HUGE_VAL}, {"+.INF", HUGE_VAL},
      {"-.inf", -HUGE_VAL}, {"-.Inf", -HUGE_VAL}, {"-.INF", -HUGE_VAL},
      {".nan", std::numeric_limits<double>::quiet_NaN()},
      {".NaN", std::numeric_limits<double>::quiet_NaN()},
      {".NAN", std::numeric_limits<double>::quiet_NaN()}};
  if (auto it = specials.find(text); it != specials.end()) return it->second;
  if (text.empty() || std::isspace(static_cast<unsigned char>(text.front())) ||
      std::isspace(static_cast<unsigned char>(text.back())))
    return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size()) return std::nullopt;
  return value;
}

std::optional<bool> parse_boolean(const std::string& text) {
  static const std::map<std::string, bool> words = {{"true", true},   {"True", true},
                                                    {"TRUE", true},   {"false", false},
                                                    {"False", false}, {"FALSE", false}};
  auto it = words.find(text);
  if (it == words.end()) return std::nullopt;
  return it->second;
}

bool needs_quotes(const std::string& text) {
  static const std::set<std::string> yaml11_words = {
      "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF"};
  static const std::string leading = "[]{},#&*!|>'\"%@`\\";
  static const std::string anywhere = "[]{},";
  if (plain_type(text) != PlainType::String || yaml11_words.count(text)) return true;
  if (std::isspace(static_cast<unsigned char>(text.front())) ||
      std::isspace(static_cast<unsigned char>(text.back())))
    return true;
  if (leading.find(text.front()) != std::string::npos) return true;
  // At the start of a file, a byte-order mark (EF BB BF, FE FF, FF FE) makes the reader drop it
  // or switch to UTF-16: 0xFE and 0xFF never occur in UTF-8, and EF BB BF is U+FEFF.
  if (static_cast<unsigned char>(text.front()) >= 0xFE || text.rfind("\xEF\xBB\xBF", 0) == 0) return true;
  if ((text[0] == '-' || text[0] == '?' || text[0] == ':') &&
      (text.size() == 1 || text[1] == ' '))
    return true;
  if (text.rfind("---", 0) == 0 || text.rfind("...", 0) == 0) return true;
  if (text.back() == ':' || text.find(": ") != std::string::npos ||
      text.find(" #") != std::string::npos)
    return true;
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
    if (anywhere.find(c) != std::string::npos) return true;
  }
  return false;
}

std::string double_quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char buffer[8];
          std::snprintf(buffer, sizeof buffer, "\\x%02x", static_cast<unsigned char>(c));
          out += buffer;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

}  // namespace attnlab::cfg
