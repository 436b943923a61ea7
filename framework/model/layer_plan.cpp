#include "model/layer_plan.h"

#include <algorithm>
#include <functional>
#include <map>

#include "config/map_reader.h"
#include "core/error.h"
#include "model/qk_source.h"

namespace attnlab {

namespace {

using PatternFn = std::function<std::vector<int64_t>(int64_t n_layers, int64_t k)>;

struct Pattern {
  bool takes_k;
  PatternFn select;
};

std::vector<int64_t> range_of(int64_t begin, int64_t end) {
  std::vector<int64_t> out;
  for (int64_t i = begin; i < end; ++i) out.push_back(i);
  return out;
}

const std::map<std::string, Pattern>& patterns() {
  static const std::map<std::string, Pattern> table = {
      {"even", {false, [](int64_t L, int64_t) {
         std::vector<int64_t> out;
         for (int64_t i = 0; i < L; i += 2) out.push_back(i);
         return out;
       }}},
      {"odd", {false, [](int64_t L, int64_t) {
         std::vector<int64_t> out;
         for (int64_t i = 1; i < L; i += 2) out.push_back(i);
         return out;
       }}},
      {"none", {false, [](int64_t, int64_t) { return std::vector<int64_t>{}; }}},
      {"first", {false, [](int64_t, int64_t) { return std::vector<int64_t>{0}; }}},
      {"last", {false, [](int64_t L, int64_t) { return std::vector<int64_t>{L - 1}; }}},
      {"ends", {false, [](int64_t L, int64_t) {
         return L == 1 ? std::vector<int64_t>{0} : std::vector<int64_t>{0, L - 1};
       }}},
      {"every", {true, [](int64_t L, int64_t k) {
         std::vector<int64_t> out;
         for (int64_t i = k - 1; i < L; i += k) out.push_back(i);
         return out;
       }}},
      {"top", {true, [](int64_t L, int64_t k) { return range_of(L - k, L); }}},
      {"bottom", {true, [](int64_t, int64_t k) { return range_of(0, k); }}},
      {"middle", {true, [](int64_t L, int64_t k) {
         const int64_t begin = (L - k) / 2;
         return range_of(begin, begin + k);
       }}},
  };
  return table;
}

std::vector<std::string> pattern_names() {
  std::vector<std::string> names;
  for (const auto& [name, pattern] : patterns()) names.push_back(pattern.takes_k ? name + ":K" : name);
  names.push_back("[i, j, ...]");
  return names;
}

int64_t parse_index(const cfg::Node& item, const std::string& where) {
  if (!item.is_scalar()) cfg::fail_at(item.source(), where + ": expected a layer index, got a " + item.kind_name());
  try {
    size_t used = 0;
    const int64_t value = std::stoll(item.text(), &used);
    if (used == item.text().size()) return value;
  } catch (const std::exception&) {
  }
  cfg::fail_at(item.source(), where + ": expected a layer index, got '" + item.text() + "'");
}

/// A bare name becomes {name: <name>} so every mixer reads a map.
cfg::Node as_mixer_map(const cfg::Node& mixer) {
  if (!mixer.is_scalar()) return mixer;
  cfg::Node map = cfg::Node::map(mixer.source());
  map["name"] = mixer;
  return map;
}

}  // namespace

std::vector<int64_t> LayerPlan::select_layers(const cfg::Node& pattern, int64_t n_layers, const std::string& where) {
  std::vector<int64_t> selected;
  if (pattern.is_sequence()) {
    for (const auto& item : pattern.items()) {
      const int64_t index = parse_index(item, where);
      if (index < 0 || index >= n_layers) {
        cfg::fail_at(item.source(), where + ": layer " + std::to_string(index) + " out of range [0, " +
                                        std::to_string(n_layers) + ")");
      }
      if (std::find(selected.begin(), selected.end(), index) != selected.end()) {
        cfg::fail_at(item.source(), where + ": layer " + std::to_string(index) + " listed twice");
      }
      selected.push_back(index);
    }
    std::sort(selected.begin(), selected.end());
    return selected;
  }
  if (!pattern.is_scalar()) cfg::fail_at(pattern.source(), where + ": expected a layer pattern, got a " + pattern.kind_name());

  const std::string& text = pattern.text();
  const auto colon = text.find(':');
  const std::string name = text.substr(0, colon);
  auto it = patterns().find(name);
  if (it == patterns().end()) {
    std::vector<std::string> bare;
    for (const auto& entry : patterns()) bare.push_back(entry.first);
    cfg::fail_at(pattern.source(), where + ": unknown layer pattern '" + text + "'" + did_you_mean(name, bare) +
                                       "; patterns: " + join(pattern_names()));
  }
  int64_t k = 0;
  if (it->second.takes_k) {
    if (colon == std::string::npos) cfg::fail_at(pattern.source(), where + ": pattern '" + name + "' needs a count: '" + name + ":K'");
    k = parse_index(cfg::Node::scalar(text.substr(colon + 1), pattern.source()), where);
    if (k < 1 || k > n_layers) {
      cfg::fail_at(pattern.source(), where + ": K in '" + text + "' must be in [1, " + std::to_string(n_layers) + "]");
    }
  } else if (colon != std::string::npos) {
    cfg::fail_at(pattern.source(), where + ": pattern '" + name + "' takes no count");
  }
  return it->second.select(n_layers, k);
}

LayerPlan LayerPlan::uniform(const cfg::Node& mixer, int64_t n_layers) {
  LayerPlan plan;
  for (int64_t i = 0; i < n_layers; ++i) plan.layers_.push_back({as_mixer_map(mixer), "mixer", false});
  return plan;
}

LayerPlan LayerPlan::from_config(const cfg::Node& mixer, const cfg::Node& hybrid, int64_t n_layers) {
  LayerPlan plan = uniform(mixer, n_layers);
  if (hybrid.is_null()) return plan;

  cfg::MapReader r(hybrid, "hybrid");
  const cfg::Node* hybrid_mixer = r.child("mixer");
  const cfg::Node* layers = r.child("layers");
  r.finish();
  if (!hybrid_mixer) cfg::fail_at(hybrid.source(), "hybrid: missing key 'hybrid.mixer'");
  if (!layers) cfg::fail_at(hybrid.source(), "hybrid: missing key 'hybrid.layers'");
  const std::vector<int64_t> selected = select_layers(*layers, n_layers, "hybrid.layers");
  for (int64_t index : selected) plan.layers_[index] = {as_mixer_map(*hybrid_mixer), "hybrid.mixer", true};
  plan.hybrid_ = !selected.empty();
  return plan;
}

std::string LayerPlan::summary() const {
  std::string out;
  for (size_t i = 0; i < layers_.size(); ++i) {
    if (i) out += ' ';
    out += std::to_string(i) + ":" + mixer_name(layers_[i].mixer);
    std::vector<std::string> details;
    const cfg::Node* form = layers_[i].mixer.find("form");
    if (form && form->is_scalar()) details.push_back(form->text());
    const cfg::Node* qk = layers_[i].mixer.find("qk_source");
    if (qk && qk->is_scalar() && qk->text() != kCurrentQKSource) details.push_back("qk=" + qk->text());
    if (!details.empty()) out += "(" + join(details) + ")";
  }
  return out;
}

std::string mixer_name(const cfg::Node& mixer) {
  if (mixer.is_scalar()) return mixer.text();
  if (const cfg::Node* name = mixer.find("name"); name && name->is_scalar()) return name->text();
  cfg::fail_at(mixer.source(), "mixer: expected a mixer name or a map with 'name'");
}

}  // namespace attnlab
