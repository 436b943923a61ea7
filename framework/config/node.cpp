#include "config/node.h"

#include <cctype>
#include <stdexcept>

#include "config/scalar.h"

namespace attnlab::cfg {

std::string Source::str() const {
  if (file.empty()) return "<generated>";
  if (line <= 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

Node Node::null(Source source) {
  Node node;
  node.source_ = std::move(source);
  return node;
}

Node Node::scalar(std::string text, Source source, bool quoted) {
  Node node;
  node.kind_ = Kind::Scalar;
  node.text_ = std::move(text);
  node.source_ = std::move(source);
  node.quoted_ = quoted;
  return node;
}

Node Node::sequence(Source source) {
  Node node;
  node.kind_ = Kind::Sequence;
  node.source_ = std::move(source);
  return node;
}

Node Node::map(Source source) {
  Node node;
  node.kind_ = Kind::Map;
  node.source_ = std::move(source);
  return node;
}

const char* Node::kind_name() const {
  static const char* const names[] = {"null", "scalar", "list", "map"};
  return names[static_cast<int>(kind_)];
}

const std::string& Node::text() const {
  if (kind_ != Kind::Scalar) throw std::logic_error(std::string("Node::text() on a ") + kind_name());
  return text_;
}

std::vector<std::string> Node::keys() const {
  std::vector<std::string> out;
  for (const auto& entry : map_) out.push_back(entry.first);
  return out;
}

bool Node::has(const std::string& key) const { return find(key) != nullptr; }

const Node* Node::find(const std::string& key) const {
  if (kind_ != Kind::Map) return nullptr;
  for (const auto& entry : map_)
    if (entry.first == key) return &entry.second;
  return nullptr;
}

Node* Node::find(const std::string& key) {
  return const_cast<Node*>(static_cast<const Node*>(this)->find(key));
}

Node& Node::operator[](const std::string& key) {
  if (kind_ == Kind::Null) kind_ = Kind::Map;
  if (kind_ != Kind::Map) throw std::logic_error("Node::operator[] on a " + std::string(kind_name()));
  if (Node* child = find(key)) return *child;
  map_.emplace_back(key, Node::null(source_));
  return map_.back().second;
}

bool Node::erase(const std::string& key) {
  for (auto it = map_.begin(); it != map_.end(); ++it) {
    if (it->first == key) {
      map_.erase(it);
      return true;
    }
  }
  return false;
}

size_t Node::size() const {
  if (kind_ == Kind::Sequence) return seq_.size();
  if (kind_ == Kind::Map) return map_.size();
  return 0;
}

const Node& Node::at(size_t index) const { return seq_.at(index); }

void Node::push_back(Node item) {
  if (kind_ == Kind::Null) kind_ = Kind::Sequence;
  if (kind_ != Kind::Sequence) throw std::logic_error("Node::push_back on a " + std::string(kind_name()));
  seq_.push_back(std::move(item));
}

const Node* Node::find_path(const std::string& dotted) const {
  const Node* node = this;
  if (dotted.empty()) return node;
  for (const auto& segment : split_path(dotted)) {
    if (node->is_map()) {
      node = node->find(segment);
    } else if (node->is_sequence() && !segment.empty() &&
               segment.find_first_not_of("0123456789") == std::string::npos &&
               segment.size() < 10 && std::stoul(segment) < node->seq_.size()) {
      node = &node->seq_[std::stoul(segment)];
    } else {
      return nullptr;
    }
    if (!node) return nullptr;
  }
  return node;
}

Node* Node::find_path(const std::string& dotted) {
  return const_cast<Node*>(static_cast<const Node*>(this)->find_path(dotted));
}

void Node::merge(const Node& other) {
  if (!is_map() || !other.is_map()) {
    *this = other;
    return;
  }
  for (const auto& [key, value] : other.map_) {
    if (Node* mine = find(key)) {
      mine->merge(value);
    } else {
      map_.emplace_back(key, value);
    }
  }
}

namespace {

std::string scalar_text(const Node& node) {
  if (node.is_null()) return "null";
  if (node.is_map()) return "{}";
  if (node.is_sequence()) return "[]";
  const std::string& text = node.text();
  if (text.empty()) return "\"\"";
  const bool typed_plain = plain_type(text) != PlainType::String;
  if ((node.quoted() && typed_plain) || (!typed_plain && needs_quotes(text))) return double_quoted(text);
  return text;
}

std::string key_text(const std::string& key) { return needs_quotes(key) ? double_quoted(key) : key; }

/// YAML (and yaml-cpp) reads at most 1024 characters before the ':' of a `key: value` line as
/// the key; a longer printed key is written as an explicit key, "? key" then ": value".
constexpr size_t kMaxImplicitKey = 1024;

bool is_block(const Node& node) { return (node.is_map() || node.is_sequence()) && node.size() > 0; }

void write_block(const Node& node, int indent, std::string& out) {
  const std::string pad(static_cast<size_t>(indent), ' ');
  if (node.is_map()) {
    for (const auto& [key, value] : node.entries()) {
      const std::string text = key_text(key);
      out += text.size() < kMaxImplicitKey ? pad + text + ":" : pad + "? " + text + "\n" + pad + ":";
      if (is_block(value)) {
        out += "\n";
        write_block(value, indent + 2, out);
      } else {
        out += " " + scalar_text(value) + "\n";
      }
    }
  } else {
    for (const auto& item : node.items()) {
      if (is_block(item)) {
        std::string child;
        write_block(item, indent + 2, child);
        out += pad + "- " + child.substr(static_cast<size_t>(indent) + 2);
      } else {
        out += pad + "- " + scalar_text(item) + "\n";
      }
    }
  }
}

bool same_scalar(const Node& a, const Node& b) {
  if (a.text() != b.text()) return false;
  return a.quoted() == b.quoted() || plain_type(a.text()) == PlainType::String;
}

}  // namespace

std::string Node::to_yaml() const {
  if (!is_block(*this)) return scalar_text(*this) + "\n";
  std::string out;
  write_block(*this, 0, out);
  return out;
}

bool Node::operator==(const Node& other) const {
  if (kind_ != other.kind_) return false;
  switch (kind_) {
    case Kind::Null: return true;
    case Kind::Scalar: return same_scalar(*this, other);
    case Kind::Sequence: return seq_ == other.seq_;
    case Kind::Map: return map_ == other.map_;
  }
  return false;
}

std::vector<std::string> split_path(const std::string& dotted) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t dot = dotted.find('.', start);
    out.push_back(dotted.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return out;
}

}  // namespace attnlab::cfg
