#pragma once
/// Which mixer each layer uses: `mixer:` for every layer, and optionally
/// `hybrid: {mixer: <spec>, layers: <pattern>}` replacing it in the layers the pattern selects.
///
/// Patterns (0-based layer indices, L layers): none (no layer: the uniform model, handy in sweeps), even, odd, first, last, ends (first + last),
/// every:K (layers K-1, 2K-1, ...: every K-th layer counting from 1), top:K (last K),
/// bottom:K (first K), middle:K (K layers centred), or an explicit list [0, 3].

#include <string>
#include <vector>

#include "config/node.h"

namespace attnlab {

struct LayerSpec {
  cfg::Node mixer;            ///< the mixer options map ({name: softmax, ...})
  std::string options_path;   ///< "mixer" or "hybrid.mixer", for errors
  bool from_hybrid = false;   ///< chosen by the hybrid pattern
};

class LayerPlan {
 public:
  /// `mixer`: the top-level mixer map (or a bare name). `hybrid`: null or {mixer, layers}.
  static LayerPlan from_config(const cfg::Node& mixer, const cfg::Node& hybrid, int64_t n_layers);

  /// Every layer uses `mixer`.
  static LayerPlan uniform(const cfg::Node& mixer, int64_t n_layers);

  /// Sorted, unique layer indices a pattern selects; UserError for unknown patterns, K out of range,
  /// out-of-range or duplicate explicit indices (`where` names the key path for errors).
  static std::vector<int64_t> select_layers(const cfg::Node& pattern, int64_t n_layers, const std::string& where);

  const std::vector<LayerSpec>& layers() const { return layers_; }
  int64_t size() const { return static_cast<int64_t>(layers_.size()); }
  bool is_hybrid() const { return hybrid_; }

  /// One line: "0:softmax 1:taylor 2:softmax 3:attention(taylor)", with the form and a non-current
  /// qk source of map specs in parentheses: "1:attention(softmax, qk=random_stream)".
  std::string summary() const;

 private:
  std::vector<LayerSpec> layers_;
  bool hybrid_ = false;
};

/// The registry name of a mixer spec (`name` of a map, or the scalar itself).
std::string mixer_name(const cfg::Node& mixer);

}  // namespace attnlab
