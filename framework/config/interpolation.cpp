#include "config/interpolation.h"

#include <algorithm>
#include <set>
#include <vector>

#include "config/map_reader.h"
#include "core/error.h"

namespace attnlab::cfg {
namespace {

struct Segment {
  bool reference;    // true: `text` is the key inside ${...}
  std::string text;
};

/// Splits "a_${x.y}_b" into literal and reference segments; "\${" stays a literal "\${".
std::vector<Segment> split_segments(const std::string& text, const Source& source) {
  std::vector<Segment> out;
  std::string literal;
  size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 3, "\\${") == 0) {
      literal += "\\${";
      i += 3;
    } else if (text.compare(i, 2, "${") == 0) {
      int depth = 1;
      size_t j = i + 2;
      for (; j < text.size() && depth > 0; ++j) {
        if (text.compare(j, 2, "${") == 0) {
          ++depth;
          ++j;
        } else if (text[j] == '}') {
          --depth;
        }
      }
      if (depth > 0) fail_at(source, "unterminated ${ in '" + text + "'");
      if (!literal.empty()) out.push_back({false, std::move(literal)});
      literal.clear();
      out.push_back({true, text.substr(i + 2, j - i - 3)});
      i = j;
    } else {
      literal += text[i++];
    }
  }
  if (!literal.empty()) out.push_back({false, std::move(literal)});
  return out;
}

void collect_paths(const Node& node, const std::string& prefix, std::vector<std::string>& out) {
  for (const auto& [key, value] : node.entries()) {
    const std::string path = prefix.empty() ? key : prefix + "." + key;
    out.push_back(path);
    collect_paths(value, path, out);
  }
}

std::string child_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

void unescape(Node& node) {
  if (node.is_scalar()) {
    std::string text = node.text();
    for (size_t at = text.find("\\${"); at != std::string::npos; at = text.find("\\${", at + 2))
      text.erase(at, 1);
    if (text != node.text()) node = Node::scalar(text, node.source(), node.quoted());
  }
  for (auto& entry : node.entries()) unescape(entry.second);
  for (auto& item : node.items()) unescape(item);
}

class Resolver {
 public:
  explicit Resolver(Node& root) : root_(root) {}

  void resolve_node(const std::string& path) {
    Node* node = root_.find_path(path);
    if (node->is_map()) {
      for (const auto& key : node->keys()) resolve_node(child_path(path, key));
    } else if (node->is_sequence()) {
      for (size_t i = 0; i < node->size(); ++i) resolve_node(child_path(path, std::to_string(i)));
    } else if (node->is_scalar() && has_interpolation(node->text())) {
      resolve_scalar(path);
    }
  }

 private:
  void resolve_scalar(const std::string& path) {
    if (active_.count(path)) fail_cycle(path);
    const bool pushed = chain_.empty() || chain_.back() != path;
    if (pushed) chain_.push_back(path);
    active_.insert(path);

    const Node& node = *root_.find_path(path);
    const Source source = node.source();
    const auto segments = split_segments(node.text(), source);
    Node resolved;
    if (segments.size() == 1 && segments[0].reference) {
      resolved = lookup(segments[0].text, source);
      resolved.set_source(source);
    } else {
      resolved = Node::scalar(interpolate(segments, source), source, true);
    }
    *root_.find_path(path) = std::move(resolved);

    active_.erase(path);
    if (pushed) chain_.pop_back();
  }

  std::string interpolate(const std::vector<Segment>& segments, const Source& source) {
    std::string out;
    for (const auto& segment : segments) {
      if (!segment.reference) {
        out += segment.text;
        continue;
      }
      const Node value = lookup(segment.text, source);
      if (!value.is_scalar() && !value.is_null())
        fail_at(source, "${" + segment.text + "} is a " + value.kind_name() +
                            ", which cannot be inserted into a string");
      out += value.is_null() ? "null" : value.text();
    }
    return out;
  }

  /// The fully resolved node at `key` (itself resolved first when it holds references).
  Node lookup(std::string key, const Source& source) {
    if (has_interpolation(key)) key = interpolate(split_segments(key, source), source);
    key.erase(0, key.find_first_not_of(' '));
    key.erase(key.find_last_not_of(' ') + 1);
    if (key.empty()) fail_at(source, "empty interpolation ${}");
    if (key.find(':') != std::string::npos)
      fail_at(source, "${" + key + "}: resolvers (name:args) are not supported");
    if (key.front() == '.')
      fail_at(source, "${" + key + "}: relative interpolation is not supported; use the full path");
    if (!root_.find_path(key)) {
      std::vector<std::string> paths;
      collect_paths(root_, "", paths);
      const std::string best = closest_match(key, paths);
      fail_at(source, "cannot resolve ${" + key + "}" +
                          (best.empty() ? std::string() : " (did you mean " + best + "?)"));
    }
    chain_.push_back(key);
    resolve_node(key);
    chain_.pop_back();
    return *root_.find_path(key);
  }

  [[noreturn]] void fail_cycle(const std::string& path) {
    const auto first = std::find(chain_.begin(), chain_.end(), path);
    std::vector<std::string> cycle(first, chain_.end());
    if (cycle.empty() || cycle.back() != path || cycle.size() == 1) cycle.push_back(path);
    fail_at(root_.find_path(path)->source(), "interpolation cycle: " + join(cycle, " -> "));
  }

  Node& root_;
  std::vector<std::string> chain_;
  std::set<std::string> active_;
};

}  // namespace

bool has_interpolation(const std::string& text) {
  for (size_t at = text.find("${"); at != std::string::npos; at = text.find("${", at + 1))
    if (at == 0 || text[at - 1] != '\\') return true;
  return false;
}

void resolve_interpolations(Node& root) {
  Resolver(root).resolve_node("");
  unescape(root);
}

}  // namespace attnlab::cfg
