#include "config/override.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <optional>
#include <utility>

#include "config/scalar.h"
#include "config/yaml_loader.h"
#include "core/error.h"

namespace attnlab::cfg {
namespace {

const Source kCommandLine{"command line", 0, 0};

struct Failure {
  std::string why;
};

/// Index of the quote that closes the one at text[open], or npos. Hydra's quotes (the top level)
/// escape with a backslash; inside brackets YAML's do: '' in single quotes, \ in double quotes.
size_t closing_quote(const std::string& text, size_t open, bool hydra) {
  const char quote = text[open];
  for (size_t j = open + 1; j < text.size(); ++j) {
    if (text[j] == '\\' && (hydra || quote == '"')) {
      ++j;  // an escaped character
    } else if (text[j] == quote && !hydra && quote == '\'' && j + 1 < text.size() && text[j + 1] == '\'') {
      ++j;  // YAML's '' inside '...'
    } else if (text[j] == quote) {
      return j;
    }
  }
  return std::string::npos;
}

/// True when the quote at text[i] opens a quoted value: at the start, after ',', '[' or '{', or
/// after ": " or "? " (a ':' with no space after it is part of a plain scalar, "a:'b'").
bool opens_quote(const std::string& text, size_t i, char previous) {
  if (text[i] != '\'' && text[i] != '"') return false;
  if (previous == ':' || previous == '?') return i > 0 && std::isspace(static_cast<unsigned char>(text[i - 1]));
  return std::string(",[{").find(previous) != std::string::npos;
}

/// Index just past the '}' that closes the "${" at text[start], or npos. Braces inside quoted
/// resolver arguments (${oc.env:'X'}) don't count. The comma split and the interpolation hiding both use it, so they agree.
size_t interpolation_end(const std::string& text, size_t start) {
  int depth = 0;
  char previous = '{';
  for (size_t i = start + 1; i < text.size(); previous = std::isspace(static_cast<unsigned char>(text[i])) ? previous : text[i], ++i) {
    if ((text[i] == '\'' || text[i] == '"') && std::string(",:{([").find(previous) != std::string::npos) {  // a resolver's argument
      i = closing_quote(text, i, false);
      if (i == std::string::npos) return i;
    } else if (text[i] == '{') {
      ++depth;
    } else if (text[i] == '}' && --depth == 0) {
      return i + 1;
    }
  }
  return std::string::npos;
}

/// The top-level comma split (Hydra's sweep syntax): commas inside quotes, brackets or `${...}`
/// don't split. Returns each element's trimmed text. Quotes follow Hydra at the top level
/// (backslash escapes) and YAML inside brackets ('' escapes a single quote).
std::vector<std::string> split_elements(const std::string& text) {
  // yaml-cpp 0.7 stops at about 500 levels with an unhelpful "bad file"; config files share its limit.
  static constexpr size_t kMaxDepth = 400;
  std::vector<std::string> out;
  std::string open;  // the brackets open at i, innermost last
  size_t start = 0;
  auto trimmed = [&](size_t begin, size_t end) {
    while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
    while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
    return text.substr(begin, end - begin);
  };
  char previous = ',';  // the last non-space character: a quote opens only where a value starts
  for (size_t i = 0; i < text.size(); previous = std::isspace(static_cast<unsigned char>(text[i])) ? previous : text[i], ++i) {
    const char c = text[i];
    if (opens_quote(text, i, previous)) {
      i = closing_quote(text, i, open.empty());
      if (i == std::string::npos) throw Failure{std::string("unterminated quote ") + c};
    } else if (c == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      const size_t end = interpolation_end(text, i);
      if (end == std::string::npos) throw Failure{"unterminated '${' (missing '}')"};
      i = end - 1;
    } else if (c == '[' || c == '{') {
      open += c;
      if (open.size() > kMaxDepth)
        throw Failure{"lists and maps nested more than " + std::to_string(kMaxDepth) + " deep"};
    } else if (c == ']' || c == '}') {
      if (open.empty()) throw Failure{std::string("unmatched '") + c + "'"};
      const char want = open.back() == '[' ? ']' : '}';
      if (c != want) throw Failure{std::string("unmatched '") + c + "'"};
      open.pop_back();
    } else if (c == ',' && open.empty()) {
      out.push_back(trimmed(start, i));
      start = i + 1;
    }
  }
  if (!open.empty())
    throw Failure{std::string("unterminated '") + open.back() + "' (missing '" + (open.back() == '[' ? ']' : '}') + "')"};
  out.push_back(trimmed(start, text.size()));
  return out;
}

/// A top-level quoted string, Hydra style: \' \" \\ \n \t escapes.
Node hydra_quoted(const std::string& text) {
  const char quote = text[0];
  std::string out;
  size_t i = 1;
  for (; i < text.size() && text[i] != quote; ++i) {
    if (text[i] != '\\' || i + 1 >= text.size()) {
      out += text[i];
      continue;
    }
    const char next = text[++i];
    if (next == 'n') {
      out += '\n';
    } else if (next == 't') {
      out += '\t';
    } else if (next == '\\' || next == '\'' || next == '"') {
      out += next;
    } else {
      out += '\\';
      out += next;
    }
  }
  if (i + 1 < text.size()) throw Failure{"unexpected text after a quoted string"};
  return Node::scalar(out, kCommandLine, true);
}

/// yaml-cpp's flow reader ends a plain scalar at '{', so `${x.y}` inside a list is swapped for a
/// private-use marker before reading and put back after.
const std::string kMarkOpen = "\xEE\x80\x80", kMarkClose = "\xEE\x80\x81";  // U+E000, U+E001

std::string hide_interpolations(const std::string& text, std::vector<std::string>& hidden) {
  std::string out;
  char previous = ',';
  for (size_t i = 0; i < text.size(); previous = std::isspace(static_cast<unsigned char>(text[i])) ? previous : text[i], ++i) {
    if (opens_quote(text, i, previous)) {  // YAML reads ${ inside quotes as text, escapes included
      const size_t close = closing_quote(text, i, false);
      if (close == std::string::npos) return out + text.substr(i);  // text after the closing bracket: yaml-cpp says so
      out += text.substr(i, close + 1 - i);
      i = close;
      continue;
    }
    if (text.compare(i, 2, "${") != 0) {
      out += text[i];
      continue;
    }
    const size_t j = interpolation_end(text, i);
    if (j == std::string::npos) return out + text.substr(i);
    hidden.push_back(text.substr(i, j - i));
    out += kMarkOpen + std::to_string(hidden.size() - 1) + kMarkClose;
    i = j - 1;
  }
  return out;
}

std::string restore_interpolations(std::string text, const std::vector<std::string>& hidden) {
  if (hidden.empty()) return text;  // nothing hidden (or the value holds U+E000 itself and was not touched)
  for (size_t at = text.find(kMarkOpen); at != std::string::npos; at = text.find(kMarkOpen, at)) {
    const size_t close = text.find(kMarkClose, at);
    const std::string& original = hidden.at(std::stoul(text.substr(at + kMarkOpen.size(), close - at - kMarkOpen.size())));
    text.replace(at, close + kMarkClose.size() - at, original);
    at += original.size();
  }
  return text;
}

/// Puts the interpolations back and gives every node the command line as its source.
Node from_inline(const Node& node, const std::vector<std::string>& hidden) {
  switch (node.kind()) {
    case Node::Kind::Null: return Node::null(kCommandLine);
    case Node::Kind::Scalar: return Node::scalar(restore_interpolations(node.text(), hidden), kCommandLine, node.quoted());
    case Node::Kind::Sequence: {
      Node out = Node::sequence(kCommandLine);
      for (const auto& item : node.items()) out.push_back(from_inline(item, hidden));
      return out;
    }
    case Node::Kind::Map: {
      Node out = Node::map(kCommandLine);
      for (const auto& [key, value] : node.entries()) {
        const std::string name = restore_interpolations(key, hidden);
        if (out.has(name)) throw Failure{"duplicate key '" + name + "' in a map"};
        out[name] = from_inline(value, hidden);
      }
      return out;
    }
  }
  return Node();
}

/// One element of an override value: a quoted string, a flow list or map (read by yaml-cpp, as
/// in a config file), or plain text typed like YAML.
Node element(const std::string& text) {
  if (text.empty()) return Node::scalar("", kCommandLine, true);
  if (text[0] == '\'' || text[0] == '"') return hydra_quoted(text);
  if (text[0] != '[' && text[0] != '{') {
    if (plain_type(text) == PlainType::Null) return Node::null(kCommandLine);
    return Node::scalar(text, kCommandLine, false);
  }
  std::vector<std::string> hidden;
  const std::string shown = text.find(kMarkOpen) == std::string::npos ? hide_interpolations(text, hidden) : text;
  try {
    return from_inline(parse_inline_yaml(shown), hidden);
  } catch (const UserError& e) {
    throw Failure{e.what()};
  }
}

std::string format_number(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.15g", value);
  return buffer;
}

/// "range(start,stop[,step])" → its values as override texts; nullopt if `text` is no range.
std::optional<std::vector<std::string>> range_values(const std::string& text) {
  const std::string head = "range(";
  if (text.rfind(head, 0) != 0) return std::nullopt;
  if (text.back() != ')') throw Failure{"range(...) must end with ')'"};
  const std::string inside = text.substr(head.size(), text.size() - head.size() - 1);
  std::vector<std::string> args;
  size_t start = 0;
  while (true) {
    const size_t comma = inside.find(',', start);
    std::string arg = inside.substr(start, comma - start);
    arg.erase(0, arg.find_first_not_of(' '));
    arg.erase(arg.find_last_not_of(' ') + 1);
    args.push_back(arg);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (args.size() < 2 || args.size() > 3) throw Failure{"range needs (start,stop) or (start,stop,step)"};
  bool all_integers = true;
  std::vector<double> numbers;
  for (const auto& arg : args) {
    const auto number = parse_number(arg);
    if (!number || std::isnan(*number) || std::isinf(*number))
      throw Failure{"range argument '" + arg + "' is not a number"};
    all_integers = all_integers && parse_integer(arg).has_value();
    numbers.push_back(*number);
  }
  const double step = numbers.size() == 3 ? numbers[2] : 1.0;
  if (step == 0) throw Failure{"range step must not be 0"};
  std::vector<std::string> values;
  for (long i = 0;; ++i) {
    const double value = numbers[0] + static_cast<double>(i) * step;
    if ((step > 0 && value >= numbers[1] - std::abs(step) * 1e-9) ||
        (step < 0 && value <= numbers[1] + std::abs(step) * 1e-9))
      break;
    if (i >= 100000) throw Failure{"range has more than 100000 values"};
    values.push_back(all_integers ? std::to_string(static_cast<long long>(std::llround(value)))
                                  : format_number(value));
  }
  if (values.empty()) throw Failure{"range(...) is empty"};
  return values;
}

void check_key(const std::string& key) {
  if (key.empty()) throw Failure{"empty key"};
  for (const auto& segment : split_path(key)) {
    if (segment.empty()) throw Failure{"empty key segment"};
    for (char c : segment)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '@' && c != '/')
        throw Failure{std::string("invalid character '") + c + "' in key '" + key + "'"};
  }
}

struct PrefixKind {
  const char* prefix;
  Override::Kind kind;
};
// Longest prefix first.
constexpr PrefixKind kPrefixes[] = {{"++", Override::Kind::ForceAdd},
                                    {"+", Override::Kind::Add},
                                    {"~", Override::Kind::Delete},
                                    {"", Override::Kind::Set}};

/// 'text' with the escapes hydra_quoted reads back: a top-level value.
std::string hydra_single_quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      if (c == '\'' || c == '\\') out += '\\';
      out += c;
    }
  }
  return out + "'";
}

/// A string inside a list or map, quoted the way YAML reads it back: 'it''s', or "a\nb" when it
/// holds control characters.
std::string yaml_quoted(const std::string& text) {
  for (char c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return double_quoted(text);
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::string render(const Node& node, bool nested) {
  switch (node.kind()) {
    case Node::Kind::Null: return "null";
    case Node::Kind::Scalar: {
      const std::string& text = node.text();
      const bool typed = plain_type(text) != PlainType::String;
      // yaml-cpp reads no '?' in a plain scalar inside brackets ("[x?]": unknown token)
      if ((node.quoted() && typed) || (!typed && needs_quotes(text)) || text.empty() ||
          text.rfind("range(", 0) == 0 || (nested && text.find('?') != std::string::npos))
        return nested ? yaml_quoted(text) : hydra_single_quoted(text);
      return text;
    }
    case Node::Kind::Sequence: {
      std::vector<std::string> items;
      for (const auto& item : node.items()) items.push_back(render(item, true));
      return "[" + join(items, ",") + "]";
    }
    case Node::Kind::Map: {
      std::vector<std::string> items;
      // A plain key ends at the first ':' and one that reads as null ("null", "~") is no key.
      for (const auto& [key, value] : node.entries()) {
        const bool quote = key.find(':') != std::string::npos || plain_type(key) == PlainType::Null;
        const std::string text = quote ? yaml_quoted(key) : render(Node::scalar(key), true);
        // YAML reads at most 1024 characters before ':' as a key; a longer one is explicit: "? key"
        items.push_back((text.size() < 1024 ? text : "? " + text) + ": " + render(value, true));
      }
      return "{" + join(items, ", ") + "}";
    }
  }
  return "";
}

}  // namespace

const char* Override::prefix() const {
  for (const auto& entry : kPrefixes)
    if (entry.kind == kind) return entry.prefix;
  return "";
}

std::string Override::with_value(const std::string& value) const {
  return std::string(prefix()) + key + "=" + value;
}

Override parse_override(const std::string& text, const std::string& origin) {
  Override out;
  out.text = text;
  try {
    size_t start = 0;
    for (const auto& entry : kPrefixes) {
      const std::string prefix = entry.prefix;
      if (text.compare(0, prefix.size(), prefix) == 0) {
        out.kind = entry.kind;
        start = prefix.size();
        break;
      }
    }
    const size_t equals = text.find('=', start);
    out.key = text.substr(start, equals == std::string::npos ? std::string::npos : equals - start);
    check_key(out.key);
    if (equals == std::string::npos) {
      if (out.kind != Override::Kind::Delete)
        throw Failure{"missing '=' (expected key=value; ~key deletes a key)"};
      return out;
    }
    out.has_value = true;
    out.value_text = text.substr(equals + 1);
    std::string trimmed = out.value_text;
    trimmed.erase(0, trimmed.find_first_not_of(' '));
    trimmed.erase(trimmed.find_last_not_of(' ') + 1);
    if (auto values = range_values(trimmed)) {
      out.sweep = std::move(*values);
    } else {
      auto elements = split_elements(out.value_text);
      if (elements.size() == 1) {
        out.value = element(elements.front());
      } else {
        // A sweep job re-parses each element alone, where "range(" would start a range again.
        for (auto& text : elements) {
          if (text.rfind("range(", 0) == 0)
            throw Failure{"range(...) must be the whole value, not one item of a comma list "
                          "(quote it for a literal string)"};
          element(text);  // a bad element fails the sweep now, not its job later
          out.sweep.push_back(std::move(text));
        }
      }
    }
    if (out.is_sweep() && out.kind == Override::Kind::Delete) throw Failure{"a delete (~) cannot sweep values"};
  } catch (const Failure& failure) {
    throw UserError(origin + ": bad override '" + text + "': " + failure.why);
  }
  return out;
}

Node parse_override_value(const std::string& text, const std::string& context) {
  try {
    const auto elements = split_elements(text);
    if (elements.size() != 1) throw Failure{"a comma list is a sweep; quote it to mean a string"};
    return element(elements.front());
  } catch (const Failure& failure) {
    throw UserError(context + ": bad value '" + text + "': " + failure.why);
  }
}

std::string to_override_value(const Node& node) { return render(node, false); }

}  // namespace attnlab::cfg
