#include "config/map_reader.h"

#include <cmath>

#include "config/scalar.h"
#include "core/error.h"

namespace attnlab::cfg {
namespace {

std::string describe(const Node& node) {
  if (!node.is_scalar()) return std::string("a ") + node.kind_name();
  if (node.quoted()) return "the quoted string \"" + node.text() + "\"";
  return "'" + node.text() + "'";
}

[[noreturn]] void fail_type(const Node& node, const std::string& key_path, const std::string& expected) {
  fail_at(node.source(), key_path + ": expected " + expected + ", got " + describe(node));
}

int64_t read_integer(const Node& node, const std::string& key_path) {
  if (node.is_scalar() && !node.quoted())
    if (auto value = parse_integer(node.text())) return *value;
  fail_type(node, key_path, "an integer");
}

}  // namespace

void fail_at(const Source& source, const std::string& message) {
  if (source.file.empty()) throw UserError(message);
  throw UserError(source.str() + ": " + message);
}

MapReader::MapReader(const Node& node, std::string path) : node_(node), path_(std::move(path)) {
  if (!node_.is_map() && !node_.is_null())
    fail_at(node_.source(), (path_.empty() ? std::string("config") : path_) + ": expected a map, got " +
                                describe(node_));
}

std::string MapReader::key_path(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

const Node* MapReader::child(const std::string& key) {
  ignore(key);
  const Node* node = node_.find(key);
  return node && !node->is_null() ? node : nullptr;
}

void MapReader::ignore(const std::string& key) {
  if (consumed_.insert(key).second) known_.push_back(key);
}

int64_t MapReader::integer(const std::string& key, int64_t fallback) {
  const Node* node = child(key);
  return node ? read_integer(*node, key_path(key)) : fallback;
}

double MapReader::number(const std::string& key, double fallback) {
  const Node* node = child(key);
  if (!node) return fallback;
  const auto value = node->is_scalar() && !node->quoted() ? parse_number(node->text()) : std::nullopt;
  if (value && std::isfinite(*value)) return *value;
  fail_type(*node, key_path(key), value ? "a finite number" : "a number");  // no option means anything at inf or nan
}

bool MapReader::boolean(const std::string& key, bool fallback) {
  const Node* node = child(key);
  if (!node) return fallback;
  if (node->is_scalar() && !node->quoted())
    if (auto value = parse_boolean(node->text())) return *value;
  fail_type(*node, key_path(key), "true or false");
}

std::string MapReader::string(const std::string& key, const std::string& fallback) {
  auto value = optional_string(key);
  return value ? *value : fallback;
}

std::optional<std::string> MapReader::optional_string(const std::string& key) {
  const Node* node = child(key);
  if (!node) return std::nullopt;
  if (!node->is_scalar()) fail_type(*node, key_path(key), "a string");
  return node->text();
}

std::vector<int64_t> MapReader::integer_list(const std::string& key,
                                             const std::vector<int64_t>& fallback) {
  const Node* node = child(key);
  if (!node) return fallback;
  if (!node->is_sequence()) fail_type(*node, key_path(key), "a list of integers");
  std::vector<int64_t> out;
  for (size_t i = 0; i < node->size(); ++i)
    out.push_back(read_integer(node->at(i), key_path(key) + "." + std::to_string(i)));
  return out;
}

std::vector<std::string> MapReader::strings(const std::string& key) {
  const Node* node = child(key);
  if (!node) return {};
  if (node->is_scalar()) return {node->text()};
  if (!node->is_sequence()) fail_type(*node, key_path(key), "a string or a list of strings");
  std::vector<std::string> out;
  for (size_t i = 0; i < node->size(); ++i) {
    if (!node->at(i).is_scalar()) fail_type(node->at(i), key_path(key) + "." + std::to_string(i), "a string");
    out.push_back(node->at(i).text());
  }
  return out;
}

std::string MapReader::choice(const std::string& key, const std::string& fallback,
                              const std::vector<std::string>& choices) {
  const std::string value = string(key, fallback);
  for (const auto& option : choices)
    if (option == value) return value;
  const Node* node = node_.find(key);
  fail_at(node ? node->source() : node_.source(),
          key_path(key) + ": unknown value '" + value + "'" + did_you_mean(value, choices) +
              " — expected one of: " + join(choices));
}

void MapReader::finish() const {
  for (const auto& [key, value] : node_.entries()) {
    if (consumed_.count(key)) continue;
    fail_at(value.source(), "unknown key '" + key_path(key) + "'" + did_you_mean(key, known_));
  }
}

}  // namespace attnlab::cfg
