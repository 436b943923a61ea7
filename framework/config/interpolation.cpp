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

/// Values and characters in a tree: what a copy of it costs.
size_t tree_size(const Node& node) {
  size_t size = 1 + (node.is_scalar() ? node.text().size() : 0);
  for (const auto& [key, child] : node.entries()) size += key.size() + tree_size(child);
  for (const auto& item : node.items()) size += tree_size(item);
  return size;
}

/// A reference copies its target, so a few lines whose values each refer to the previous line ten
/// times ("billion laughs") would expand to gigabytes: the copies made are capped.
constexpr size_t kMaxCopied = 20000;
/// Each reference followed inside another (a chain a -> b -> c, or ${a.${b}}) takes a few stack
/// frames; no real config comes close to this many.
constexpr int kMaxDepth = 200;

class Resolver {
 public:
  explicit Resolver(Node& root) : root_(root) {}

  /// Resolves `node` (found at `path`) and everything under it. The walk goes by reference, not
  /// by re-finding `path`: a key may itself hold a '.' or be empty, and then its path names
  /// another node or none. Paths are only for messages and for following ${...} references.
  void resolve_node(Node& node, const std::string& path) {
    if (node.is_map()) {
      for (auto& [key, child] : node.entries()) resolve_node(child, child_path(path, key));
    } else if (node.is_sequence()) {
      for (size_t i = 0; i < node.size(); ++i) resolve_node(node.items()[i], child_path(path, std::to_string(i)));
    } else if (node.is_scalar() && has_interpolation(node.text())) {
      resolve_scalar(node, path);
    }
  }

 private:
  /// Only scalars are ever replaced, so `node` and every map or list above it stay where they are
  /// while the references are followed.
  void resolve_scalar(Node& node, const std::string& path) {
    if (active_.count(&node)) fail_cycle(node, path);
    const bool pushed = chain_.empty() || chain_.back() != path;
    if (pushed) chain_.push_back(path);
    active_.insert(&node);

    const Source source = node.source();
    const auto segments = split_segments(node.text(), source);
    Node resolved;
    if (segments.size() == 1 && segments[0].reference) {
      resolved = lookup(segments[0].text, source);
      resolved.set_source(source);
    } else {
      resolved = Node::scalar(interpolate(segments, source), source, true);
    }
    node = std::move(resolved);

    active_.erase(&node);
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
    if (depth_ == kMaxDepth)
      fail_at(source, "references nested or chained more than " + std::to_string(kMaxDepth) + " deep");
    ++depth_;
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
    Node& target = *root_.find_path(key);
    chain_.push_back(key);
    resolve_node(target, key);
    chain_.pop_back();
    copied_ += tree_size(target);
    if (copied_ > kMaxCopied)
      fail_at(source, "references copy more than " + std::to_string(kMaxCopied) +
                          " values and characters (references of references of ...?)");
    --depth_;
    return target;
  }

  [[noreturn]] void fail_cycle(const Node& node, const std::string& path) {
    const auto first = std::find(chain_.begin(), chain_.end(), path);
    std::vector<std::string> cycle(first, chain_.end());
    if (cycle.empty() || cycle.back() != path || cycle.size() == 1) cycle.push_back(path);
    fail_at(node.source(), "interpolation cycle: " + join(cycle, " -> "));
  }

  Node& root_;
  std::vector<std::string> chain_;
  std::set<const Node*> active_;  // scalars being resolved
  int depth_ = 0;                  // lookups in progress
  size_t copied_ = 0;              // tree_size of every lookup result so far
};

}  // namespace

bool has_interpolation(const std::string& text) {
  for (size_t at = text.find("${"); at != std::string::npos; at = text.find("${", at + 1))
    if (at == 0 || text[at - 1] != '\\') return true;
  return false;
}

void resolve_interpolations(Node& root) {
  Resolver(root).resolve_node(root, "");
  unescape(root);
}

}  // namespace attnlab::cfg
