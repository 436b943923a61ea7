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

/// Index just past the '}' that closes the "${" at text[start], or npos. Braces inside quoted
/// resolver arguments (${oc.env:'X'}) don't count.
size_t interpolation_end(const std::string& text, size_t start) {
  int depth = 0;
  char previous = '{';
  for (size_t i = start + 1; i < text.size(); ++i) {
    const bool argument_start = std::string(",:{([").find(previous) != std::string::npos;
    if (!std::isspace(static_cast<unsigned char>(text[i]))) previous = text[i];
    if ((text[i] == '\'' || text[i] == '"') && argument_start) {
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

/// Walks an override value the way it will be read: quotes (Hydra's at the top level, YAML's in
/// brackets), `${...}`, brackets, and in a map the ':' that ends a key. The comma split and the
/// interpolation hiding both walk with it, so they agree.
class FlowScanner {
 public:
  enum class Kind { Text, Quoted, Interpolation, Open, Close, Comma, KeyColon };
  struct Token {
    Kind kind;
    size_t begin, end;  // [begin, end) of the text
  };

  explicit FlowScanner(const std::string& text) : text_(text) {}
  bool done() const { return pos_ >= text_.size(); }
  size_t depth() const { return frames_.size(); }
  char innermost() const { return frames_.empty() ? 0 : frames_.back().bracket; }

  Token next() {
    const size_t i = pos_;
    const char c = text_[i];
    Token t{Kind::Text, i, i + 1};
    if ((c == '\'' || c == '"') && quote_opens(i)) {
      const size_t close = closing_quote(text_, i, frames_.empty());
      if (close == std::string::npos) throw Failure{std::string("unterminated quote ") + c};
      t = {Kind::Quoted, i, close + 1};
    } else if (c == '$' && i + 1 < text_.size() && text_[i + 1] == '{') {
      const size_t end = interpolation_end(text_, i);
      if (end == std::string::npos) throw Failure{"unterminated '${' (missing '}')"};
      t = {Kind::Interpolation, i, end};
    } else if (c == '[' || c == '{') {
      frames_.push_back({c, false});
      t.kind = Kind::Open;
    } else if (c == ']' || c == '}') {
      if (frames_.empty() || c != (frames_.back().bracket == '[' ? ']' : '}'))
        throw Failure{std::string("unmatched '") + c + "'"};
      frames_.pop_back();
      t.kind = Kind::Close;
    } else if (c == ',') {
      if (!frames_.empty()) frames_.back().after_key = false;
      t.kind = Kind::Comma;
    } else if (c == ':' && innermost() == '{' && !frames_.back().after_key) {
      frames_.back().after_key = true;  // Hydra's {a:1}: the first ':' of an entry ends its key
      t.kind = Kind::KeyColon;
    }
    if (!std::isspace(static_cast<unsigned char>(c))) {
      previous_ = text_[t.end - 1];
      previous_key_colon_ = t.kind == Kind::KeyColon;
    }
    pos_ = t.end;
    return t;
  }

 private:
  /// A quote opens a quoted value where a value starts: first, after ',', '[', '{', a key's ':'
  /// or ": " / "? " (after another ':' it is text, as yaml-cpp reads "a:'b'").
  bool quote_opens(size_t i) const {
    const bool space_before = i > 0 && std::isspace(static_cast<unsigned char>(text_[i - 1]));
    if (previous_ == ':') return previous_key_colon_ || space_before;
    if (previous_ == '?') return space_before;
    return std::string(",[{").find(previous_) != std::string::npos;
  }

  struct Frame {
    char bracket;
    bool after_key;  // a map entry past its ':'
  };
  const std::string& text_;
  size_t pos_ = 0;
  std::vector<Frame> frames_;
  char previous_ = ',';  // the last character of the last token that was not a space
  bool previous_key_colon_ = false;
};

/// The top-level comma split (Hydra's sweep syntax): commas inside quotes, brackets or `${...}`
/// don't split. Returns each element's trimmed text.
std::vector<std::string> split_elements(const std::string& text) {
  // yaml-cpp 0.7 stops at about 500 levels with an unhelpful "bad file"; config files share its limit.
  static constexpr size_t kMaxDepth = 400;
  std::vector<std::string> out;
  size_t start = 0;
  auto trimmed = [&](size_t begin, size_t end) {
    while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
    while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
    return text.substr(begin, end - begin);
  };
  FlowScanner scan(text);
  while (!scan.done()) {
    const auto token = scan.next();
    if (token.kind == FlowScanner::Kind::Open && scan.depth() > kMaxDepth)
      throw Failure{"lists and maps nested more than " + std::to_string(kMaxDepth) + " deep"};
    if (token.kind == FlowScanner::Kind::Comma && scan.depth() == 0) {
      out.push_back(trimmed(start, token.begin));
      start = token.end;
    }
  }
  if (scan.depth() > 0) {
    const char open = scan.innermost();
    throw Failure{std::string("unterminated '") + open + "' (missing '" + (open == '[' ? ']' : '}') + "')"};
  }
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

/// The text yaml-cpp reads: interpolations swapped for markers, and a space after a key's ':'
/// (Hydra's {a:1} is YAML's {a: 1}; without the space YAML reads the key "a:1").
std::string prepare_flow(const std::string& text, std::vector<std::string>& hidden) {
  std::string out;
  const bool hide = text.find(kMarkOpen) == std::string::npos;  // a value holding U+E000 itself is read as it is
  FlowScanner scan(text);
  // A plain item is the text between two of '[', '{', ',', a key's ':', ']', '}'. Hydra reads
  // `[*.txt,a?.txt]` as two strings; YAML reads '*' as an alias and yaml-cpp stops at '?', so an
  // item with one of Hydra's plain characters that YAML treats as indicators (* ? % @ |) goes to
  // yaml-cpp double-quoted (it is no number anyway). Tags and anchors (! &) stay YAML's errors.
  std::string item;
  bool item_whole = true;  // the item started at a separator (not after a quote or an interpolation)
  auto flush = [&](bool at_separator) {
    const size_t first = item.find_first_not_of(" \t"), last = item.find_last_not_of(" \t");
    if (item_whole && at_separator && first != std::string::npos && item.find_first_of("*?%@|") <= last &&
        item.find(": ") == std::string::npos)  // "a: b" in a list is a map
      out += item.substr(0, first) + double_quoted(item.substr(first, last - first + 1)) + item.substr(last + 1);
    else
      out += item;
    item.clear();
  };
  while (!scan.done()) {
    const auto token = scan.next();
    using Kind = FlowScanner::Kind;
    if (token.kind == Kind::Text) {
      item += text.substr(token.begin, token.end - token.begin);
      continue;
    }
    const bool separator = token.kind != Kind::Quoted && token.kind != Kind::Interpolation;
    flush(separator);
    item_whole = separator;
    if (token.kind == FlowScanner::Kind::Interpolation && hide) {
      hidden.push_back(text.substr(token.begin, token.end - token.begin));
      out += kMarkOpen + std::to_string(hidden.size() - 1) + kMarkClose;
    } else if (token.kind == FlowScanner::Kind::KeyColon) {
      out += token.end < text.size() && !std::isspace(static_cast<unsigned char>(text[token.end])) ? ": " : ":";
    } else {
      out += text.substr(token.begin, token.end - token.begin);
    }
  }
  flush(true);
  return out;
}

std::string restore_interpolations(std::string text, const std::vector<std::string>& hidden) {
  if (hidden.empty()) return text;  // nothing hidden: a U+E000 in the value is the value's own
  for (size_t at = text.find(kMarkOpen); at != std::string::npos; at = text.find(kMarkOpen, at)) {
    const size_t close = text.find(kMarkClose, at);
    const size_t index = std::stoul(text.substr(at + kMarkOpen.size(), close - at - kMarkOpen.size()));
    const std::string& original = hidden.at(index);
    text.replace(at, close + kMarkClose.size() - at, original);
    at += original.size();
  }
  return text;
}

/// Puts the interpolations back and gives every node the command line as its source.
Node from_inline(const Node& node, const std::vector<std::string>& hidden) {
  switch (node.kind()) {
    case Node::Kind::Null: return Node::null(kCommandLine);
    case Node::Kind::Scalar:
      return Node::scalar(restore_interpolations(node.text(), hidden), kCommandLine, node.quoted());
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
  const std::string shown = prepare_flow(text, hidden);
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
