#include "config/yaml_loader.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "config/map_reader.h"
#include "config/scalar.h"
#include "core/error.h"

namespace attnlab::cfg {
namespace {

/// yaml-cpp's terse messages, rephrased for someone editing a config file.
std::string explain(const std::string& msg) {
  static const std::map<std::string, std::string> table = {
      {YAML::ErrorMsg::END_OF_MAP, "bad indentation or a missing ':' (end of map not found)"},
      {YAML::ErrorMsg::END_OF_SEQ, "bad indentation in a list (end of list not found)"},
      {YAML::ErrorMsg::END_OF_MAP_FLOW, "unterminated '{' (missing '}')"},
      {YAML::ErrorMsg::END_OF_SEQ_FLOW, "unterminated '[' (missing ']')"},
      {YAML::ErrorMsg::EOF_IN_SCALAR, "unterminated quoted string"},
      {YAML::ErrorMsg::MAP_VALUE, "bad indentation: unexpected ':' (a key at the wrong indentation, or a value containing ': ' that needs quotes)"},
      {YAML::ErrorMsg::MAP_KEY, "bad indentation: unexpected map key"},
      {YAML::ErrorMsg::BLOCK_ENTRY, "bad indentation: unexpected '-' list item"},
      {YAML::ErrorMsg::TAB_IN_INDENTATION, "tab character used for indentation"},
      {YAML::ErrorMsg::UNKNOWN_ANCHOR, "alias refers to an undefined anchor"},
      {YAML::ErrorMsg::FLOW_END, "unmatched ']' or '}'"},
      {YAML::ErrorMsg::UNKNOWN_TOKEN, "unexpected token (bad indentation or a stray character)"},
  };
  auto it = table.find(msg);
  return it == table.end() ? msg : it->second;
}

Source at(const std::string& file, const YAML::Mark& mark) {
  return {file, mark.line + 1, mark.column + 1};
}

/// A tab in the leading whitespace of a content line is never what the author meant.
void reject_tab_indentation(const std::string& text, const std::string& file) {
  int line = 1;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    // both scans stay inside the line: a text of many lines is read once, not once per line
    size_t content = start;
    while (content < end && (text[content] == ' ' || text[content] == '\t' || text[content] == '\r')) ++content;
    if (content < end && text[content] != '#') {
      const size_t tab = static_cast<size_t>(std::find(text.begin() + start, text.begin() + content, '\t') - text.begin());
      if (tab < content)
        fail_at({file, line, static_cast<int>(tab - start) + 1}, "tab character used for indentation");
    }
    ++line;
    start = end + 1;
  }
}

/// Values and characters in a tree: what a copy of it costs.
size_t tree_size(const Node& node) {
  size_t size = 1 + (node.is_scalar() ? node.text().size() : 0);
  for (const auto& [key, child] : node.entries()) size += key.size() + tree_size(child);
  for (const auto& item : node.items()) size += tree_size(item);
  return size;
}

/// Aliases are resolved by copy, so a few lines of anchors that each alias the previous one ten
/// times ("billion laughs") would expand to gigabytes: the copies a file's aliases make are capped.
constexpr size_t kMaxAliasCopies = 20000;

/// Builds a Node tree from yaml-cpp parser events.
class TreeBuilder : public YAML::EventHandler {
 public:
  /// `inline_value`: one override value, where an empty flow entry ("[1,,2]", "{x}") is a typo,
  /// not the null yaml-cpp reads.
  TreeBuilder(std::string file, const std::string& text, bool inline_value = false)
      : file_(std::move(file)), text_(text), inline_(inline_value) {}

  Node take_root() { return root_ ? std::move(*root_) : Node::null({file_, 1, 1}); }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (inline_ && empty_at(mark)) {
      const size_t colon = text_.find_last_not_of(' ', static_cast<size_t>(mark.pos) - 1);
      if (!stack_.empty() && stack_.back().key && (colon == std::string::npos || text_[colon] != ':'))
        fail_at(at(file_, mark), "expected ':' after map key '" + *stack_.back().key + "'");
      fail_at(at(file_, mark), "missing value");
    }
    add(Node::null(at(file_, mark)), anchor);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) fail_at(at(file_, mark), "alias refers to an undefined anchor");
    copied_ += tree_size(it->second);
    if (copied_ > kMaxAliasCopies)
      fail_at(at(file_, mark), "aliases copy more than " + std::to_string(kMaxAliasCopies) +
                                   " values and characters (aliases of aliases of ...?)");
    add(it->second, 0);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    check_tag(mark, tag);
    check_quote_closed(mark);
    const bool quoted = tag == "!" || tag == "tag:yaml.org,2002:str";
    // A null word or an empty value arrives here instead of OnNull only when it has a tag
    // (`a: !!int`, `a: !!foo null`; a plain scalar's tag is "?"). Unless that tag makes it a
    // string it is null: a plain "null" or "" scalar reads as null everywhere else, so to_yaml's
    // output would read back as another tree.
    if (!quoted && tag != "?" && plain_type(value) == PlainType::Null) {
      add(Node::null(at(file_, mark)), anchor);
      return;
    }
    add(Node::scalar(value, at(file_, mark), quoted), anchor);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    check_tag(mark, tag);
    open(Node::sequence(at(file_, mark)), anchor);
  }

  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    check_tag(mark, tag);
    open(Node::map(at(file_, mark)), anchor);
  }

  void OnSequenceEnd() override { close(); }
  void OnMapEnd() override { close(); }

 private:
  struct Frame {
    Node node;
    YAML::anchor_t anchor = 0;
    std::optional<std::string> key;          // key waiting for its value
    std::map<std::string, int> key_lines;    // explicit keys → line, for duplicates
    std::vector<Node> merges;                // values of `<<` merge keys
  };

  /// A null with no text of its own: its mark is on the ',', ']', '}' or end that follows.
  bool empty_at(const YAML::Mark& mark) const {
    const size_t pos = static_cast<size_t>(mark.pos);
    return pos >= text_.size() || std::string(",]}").find(text_[pos]) != std::string::npos;
  }

  void check_tag(const YAML::Mark& mark, const std::string& tag) {
    if (tag.empty() || tag == "?" || tag == "!" || tag.rfind("tag:yaml.org,2002:", 0) == 0) return;
    fail_at(at(file_, mark), "unsupported YAML tag '" + tag + "'");
  }

  void open(Node node, YAML::anchor_t anchor) {
    stack_.emplace_back();
    stack_.back().node = std::move(node);
    stack_.back().anchor = anchor;
  }

  /// yaml-cpp lets a quote run on over lines (and even to the end of the file): a config's
  /// strings close on the line they open.
  void check_quote_closed(const YAML::Mark& mark) {
    const size_t pos = static_cast<size_t>(mark.pos);
    if (pos >= text_.size() || (text_[pos] != '"' && text_[pos] != '\'')) return;
    const char quote = text_[pos];
    for (size_t i = pos + 1; i < text_.size() && text_[i] != '\n'; ++i) {
      if (quote == '"' && text_[i] == '\\') {
        ++i;
      } else if (text_[i] == quote) {
        if (quote == '\'' && i + 1 < text_.size() && text_[i + 1] == '\'') {
          ++i;
        } else {
          return;
        }
      }
    }
    fail_at(at(file_, mark), "unterminated quoted string (a quote must close on its line)");
  }

  void close() {
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    if (!frame.merges.empty()) apply_merges(frame);
    add(std::move(frame.node), frame.anchor);
  }

  void apply_merges(Frame& frame) {
    Node merged = Node::map(frame.node.source());
    for (const Node& source : frame.merges)
      for (const auto& [key, value] : source.entries())
        if (!merged.has(key)) merged[key] = value;
    for (auto& [key, value] : frame.node.entries()) merged[key] = std::move(value);
    frame.node = std::move(merged);
  }

  void add(Node value, YAML::anchor_t anchor) {
    if (anchor) anchors_[anchor] = value;
    if (stack_.empty()) {
      root_ = std::move(value);
      return;
    }
    Frame& frame = stack_.back();
    if (frame.node.is_sequence()) {
      frame.node.push_back(std::move(value));
    } else if (!frame.key) {
      set_key(frame, value);
    } else {
      const std::string key = std::move(*frame.key);
      frame.key.reset();
      if (key == "<<") {
        add_merge(frame, value);
      } else {
        frame.node.entries().emplace_back(key, std::move(value));
      }
    }
  }

  void set_key(Frame& frame, const Node& key) {
    if (!key.is_scalar())
      fail_at(key.source(), std::string("a map key must be a plain string, got a ") + key.kind_name());
    const std::string& name = key.text();
    if (name == "<<" && !key.quoted()) {
      frame.key = name;
      return;
    }
    auto [it, inserted] = frame.key_lines.emplace(name, key.source().line);
    if (!inserted)
      fail_at(key.source(),
              "duplicate key '" + name + "' (first at line " + std::to_string(it->second) + ")");
    frame.key = name;
  }

  void add_merge(Frame& frame, const Node& value) {
    if (value.is_map()) {
      frame.merges.push_back(value);
      return;
    }
    if (value.is_sequence()) {
      bool all_maps = true;
      for (const auto& item : value.items()) all_maps = all_maps && item.is_map();
      if (all_maps) {
        for (const auto& item : value.items()) frame.merges.push_back(item);
        return;
      }
    }
    fail_at(value.source(), "merge key '<<' needs a map or a list of maps (an alias such as *base)");
  }

  std::string file_;
  const std::string& text_;
  bool inline_ = false;
  std::vector<Frame> stack_;
  std::optional<Node> root_;
  std::map<YAML::anchor_t, Node> anchors_;
  size_t copied_ = 0;  // tree_size of every alias so far
};

/// Fails on any event: used to detect a second document.
class SecondDocument : public YAML::EventHandler {
 public:
  SecondDocument(std::string file, const std::string& text, bool inline_value)
      : file_(std::move(file)), text_(text), inline_(inline_value) {}
  void OnDocumentStart(const YAML::Mark& mark) override {
    // mark.pos counts yaml-cpp's decoded characters: past the end of `text_` when it took NUL
    // bytes for UTF-16 or UTF-32 (std::string::compare would throw std::out_of_range).
    const size_t pos = static_cast<size_t>(mark.pos);
    if (mark.pos >= 0 && pos < text_.size() && text_.compare(pos, 3, "---") == 0)
      fail_at(at(file_, mark), "more than one YAML document ('---'); a config file holds one");
    fail_at(at(file_, mark), inline_ ? "unexpected text after the value"
                                  : "unexpected content after the end of the top-level node (bad indentation?)");
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

 private:
  std::string file_;
  const std::string& text_;
  bool inline_;
};

/// Both readers: yaml-cpp's events into a tree, one document only. An inline value has no file
/// name, so its errors carry no location (fail_at).
Node read_tree(const std::string& text, const std::string& source_name, bool inline_value) {
  std::istringstream stream(text);
  TreeBuilder builder(source_name, text, inline_value);
  try {
    YAML::Parser parser(stream);
    parser.HandleNextDocument(builder);
    SecondDocument second(source_name, text, inline_value);
    parser.HandleNextDocument(second);
  } catch (const YAML::DeepRecursion& e) {
    fail_at(at(source_name, e.mark), "lists and maps nested too deep (yaml-cpp reads about 500 levels)");
  } catch (const YAML::Exception& e) {
    fail_at(e.mark.is_null() ? Source{source_name, 0, 0} : at(source_name, e.mark), explain(e.msg));
  }
  return builder.take_root();
}

}  // namespace

Node parse_yaml(const std::string& text, const std::string& source_name) {
  reject_tab_indentation(text, source_name);
  return read_tree(text, source_name, false);
}

Node parse_inline_yaml(const std::string& text) { return read_tree(text, "", true); }

Node load_yaml_file(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) throw UserError("config file not found: " + path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UserError("cannot read config file: " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return parse_yaml(text.str(), path);
}

}  // namespace attnlab::cfg
