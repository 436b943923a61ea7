#pragma once
/// YAML scalar typing shared by the loader, the printer, MapReader and the override parser.
/// Plain (unquoted) scalars follow the YAML 1.2 core schema; quoted scalars are always strings.

#include <cstdint>
#include <optional>
#include <string>

namespace attnlab::cfg {

/// What a plain scalar means under the YAML 1.2 core schema.
enum class PlainType { String, Null, Bool, Integer, Float };

/// Classifies plain text: "~"/"null"/"" → Null, "true"/"False" → Bool, "-12"/"0x1f" → Integer,
/// "1.5"/"1e3"/".inf" → Float, anything else → String.
PlainType plain_type(const std::string& text);

/// Decimal integer with an optional sign ("42", "-3", "+7"); nullopt otherwise or on overflow.
std::optional<int64_t> parse_integer(const std::string& text);
/// Anything strtod accepts as a whole (no surrounding spaces), plus ".inf", "-.inf", ".nan".
std::optional<double> parse_number(const std::string& text);
/// true/True/TRUE/false/False/FALSE.
std::optional<bool> parse_boolean(const std::string& text);

/// True when `text` printed plain would not read back as the same string (in YAML 1.2 or 1.1
/// readers such as PyYAML, or in a flow list / override): typed words, indicators, ": ", " #", ...
bool needs_quotes(const std::string& text);
/// "text" with YAML double-quote escapes (\" \\ \n \t \xNN).
std::string double_quoted(const std::string& text);

}  // namespace attnlab::cfg
