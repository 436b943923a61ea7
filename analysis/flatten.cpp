#include "analysis/flatten.h"

#include <yaml-cpp/yaml.h>

#include "core/error.h"

namespace attnlab::analysis {
namespace {

void flatten(const YAML::Node& node, const std::string& prefix, FlatConfig& out) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      for (const auto& entry : node) {
        const std::string key = entry.first.as<std::string>();
        flatten(entry.second, prefix.empty() ? key : prefix + "." + key, out);
      }
      break;
    case YAML::NodeType::Sequence: {
      YAML::Emitter emitter;
      emitter << YAML::Flow << node;
      out.emplace_back(prefix, emitter.c_str());
      break;
    }
    case YAML::NodeType::Scalar: out.emplace_back(prefix, node.Scalar()); break;
    default: out.emplace_back(prefix, "null"); break;
  }
}

}  // namespace

FlatConfig flatten_yaml(const std::string& text, const std::string& source) {
  FlatConfig out;
  if (text.empty()) return out;
  try {
    const YAML::Node root = YAML::Load(text);
    if (root.IsMap()) flatten(root, "", out);
  } catch (const YAML::Exception& e) {
    throw UserError(source + ": config_yaml is not valid YAML (" + e.what() + ")");
  }
  return out;
}

const std::string* find_value(const FlatConfig& config, const std::string& key) {
  for (const auto& [k, v] : config)
    if (k == key) return &v;
  return nullptr;
}

}  // namespace attnlab::analysis
