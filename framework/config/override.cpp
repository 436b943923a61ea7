#include "config/override.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <optional>
#include <utility>

#include "config/scalar.h"
#include "core/error.h"

namespace attnlab::cfg {
namespace {

const Source kCommandLine{"command line", 0, 0};

struct Failure {
  std::string why;
};

/// Recursive-descent reader of one override value.
class ValueParser {
 public:
  explicit ValueParser(const std::string& text) : text_(text) {}

  /// The top level: one element, or several separated by commas (a sweep). Each element
  /// comes with its raw text.
  std::vector<std::pair<Node, std::string>> elements() {
    std::vector<std::pair<Node, std::string>> out;
    while (true) {
      skip_spaces();
      const size_t start = pos_;
      Node node = element(false);
      out.emplace_back(std::move(node), trimmed(start, pos_));
      skip_spaces();
      if (at_end()) break;
      if (peek() != ',') throw Failure{std::string("unmatched '") + peek() + "'"};
      ++pos_;
    }
    return out;
  }

 private:
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }
  void skip_spaces() {
    while (!at_end() && std::isspace(static_cast<unsigned char>(peek()))) ++pos_;
  }
  std::string trimmed(size_t begin, size_t end) const {
    while (begin < end && std::isspace(static_cast<unsigned char>(text_[begin]))) ++begin;
    while (end > begin && std::isspace(static_cast<unsigned char>(text_[end - 1]))) --end;
    return text_.substr(begin, end - begin);
  }

  Node element(bool nested) {
    skip_spaces();
    if (at_end()) return nested ? throw Failure{"missing value"} : Node::scalar("", kCommandLine, true);
    switch (peek()) {
      case '[': return list();
      case '{': return map();
      case '\'':
      case '"': return quoted(nested);
      default: return plain(nested, ",]}");
    }
  }

  Node list() {
    const Nesting nesting(depth_);
    ++pos_;
    Node node = Node::sequence(kCommandLine);
    skip_spaces();
    if (!at_end() && peek() == ']') {
      ++pos_;
      return node;
    }
    while (true) {
      node.push_back(element(true));
      skip_spaces();
      if (at_end()) throw Failure{"unterminated '[' (missing ']')"};
      const char c = text_[pos_++];
      if (c == ']') return node;
      if (c != ',') throw Failure{std::string("expected ',' or ']' in a list, got '") + c + "'"};
    }
  }

  Node map() {
    const Nesting nesting(depth_);
    ++pos_;
    Node node = Node::map(kCommandLine);
    skip_spaces();
    if (!at_end() && peek() == '}') {
      ++pos_;
      return node;
    }
    while (true) {
      skip_spaces();
      if (at_end()) throw Failure{"unterminated '{' (missing '}')"};
      const Node key = (peek() == '\'' || peek() == '"') ? quoted(true) : plain(true, ":,]}");
      if (!key.is_scalar() || key.text().empty()) throw Failure{"empty key in a map"};
      skip_spaces();
      if (at_end() || peek() != ':') throw Failure{"expected ':' after map key '" + key.text() + "'"};
      ++pos_;
      if (node.has(key.text())) throw Failure{"duplicate key '" + key.text() + "' in a map"};
      node[key.text()] = element(true);
      skip_spaces();
      if (at_end()) throw Failure{"unterminated '{' (missing '}')"};
      const char c = text_[pos_++];
      if (c == '}') return node;
      if (c != ',') throw Failure{std::string("expected ',' or '}' in a map, got '") + c + "'"};
    }
  }

  Node quoted(bool nested) {
    const char quote = text_[pos_++];
    std::string out;
    while (true) {
      if (at_end()) throw Failure{std::string("unterminated quote ") + quote};
      const char c = text_[pos_++];
      if (c == quote) break;
      if (c == '\\' && !at_end()) {
        const char next = text_[pos_++];
        static const std::string escapable = "\\'\"";
        if (next == 'n') {
          out += '\n';
        } else if (next == 't') {
          out += '\t';
        } else if (escapable.find(next) != std::string::npos) {
          out += next;
        } else {
          out += c;
          out += next;
        }
        continue;
      }
      out += c;
    }
    skip_spaces();
    const std::string stops = nested ? ",]}:" : ",";
    if (!at_end() && stops.find(peek()) == std::string::npos)
      throw Failure{"unexpected text after a quoted string"};
    return Node::scalar(out, kCommandLine, true);
  }

  /// Plain text up to one of `stops`; `${...}` is kept whole.
  Node plain(bool nested, const std::string& stops) {
    const size_t start = pos_;
    int depth = 0;
    while (!at_end()) {
      const char c = peek();
      if (c == '$' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '{') {
        depth++;
        pos_ += 2;
        continue;
      }
      if (depth > 0 && c == '}') {
        depth--;
        ++pos_;
        continue;
      }
      if (depth == 0 && stops.find(c) != std::string::npos) break;
      ++pos_;
    }
    if (depth > 0) throw Failure{"unterminated '${' (missing '}')"};
    const std::string text = trimmed(start, pos_);
    if (text.empty() && nested) throw Failure{"missing value"};
    if (plain_type(text) == PlainType::Null) return Node::null(kCommandLine);
    return Node::scalar(text, kCommandLine, false);
  }

  /// Lists and maps recurse: a deep nesting ("[[[[..." in a 100 kB argument) would overflow the
  /// stack, so it is an error well before. One Nesting lives while a list or map is read.
  static constexpr int kMaxDepth = 1000;
  struct Nesting {
    explicit Nesting(int& depth) : depth(depth) {
      if (++depth > kMaxDepth) throw Failure{"lists and maps nested more than " + std::to_string(kMaxDepth) + " deep"};
    }
    ~Nesting() { --depth; }
    int& depth;
  };

  const std::string& text_;
  size_t pos_ = 0;
  int depth_ = 0;  // lists and maps open at pos_
};

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

/// 'text' with the escapes ValueParser::quoted reads back.
std::string single_quoted(const std::string& text) {
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

/// A flow-map key as to_override_value writes it. A plain key ends at the first ':' and one that
/// reads as null ("null", "~") is no key at all, so those are quoted too.
std::string key_text(const std::string& key) {
  if (key.find(':') != std::string::npos || plain_type(key) == PlainType::Null) return single_quoted(key);
  return to_override_value(Node::scalar(key));
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
      auto elements = ValueParser(out.value_text).elements();
      if (elements.size() == 1) {
        out.value = std::move(elements.front().first);
      } else {
        // A sweep job re-parses each element alone, where "range(" would start a range again.
        for (auto& element : elements) {
          if (element.second.rfind("range(", 0) == 0)
            throw Failure{"range(...) must be the whole value, not one item of a comma list "
                          "(quote it for a literal string)"};
          out.sweep.push_back(std::move(element.second));
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
    auto elements = ValueParser(text).elements();
    if (elements.size() != 1) throw Failure{"a comma list is a sweep; quote it to mean a string"};
    return std::move(elements.front().first);
  } catch (const Failure& failure) {
    throw UserError(context + ": bad value '" + text + "': " + failure.why);
  }
}

std::string to_override_value(const Node& node) {
  switch (node.kind()) {
    case Node::Kind::Null: return "null";
    case Node::Kind::Scalar: {
      const std::string& text = node.text();
      const bool typed = plain_type(text) != PlainType::String;
      if ((node.quoted() && typed) || (!typed && needs_quotes(text)) || text.empty() ||
          text.rfind("range(", 0) == 0)
        return single_quoted(text);
      return text;
    }
    case Node::Kind::Sequence: {
      std::vector<std::string> items;
      for (const auto& item : node.items()) items.push_back(to_override_value(item));
      return "[" + join(items, ",") + "]";
    }
    case Node::Kind::Map: {
      std::vector<std::string> items;
      for (const auto& [key, value] : node.entries())
        items.push_back(key_text(key) + ": " + to_override_value(value));
      return "{" + join(items, ", ") + "}";
    }
  }
  return "";
}

}  // namespace attnlab::cfg
