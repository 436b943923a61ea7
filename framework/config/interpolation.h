#pragma once
/// `${a.b}` interpolation, resolved on a composed tree (OmegaConf subset).
///   key: ${model.d_model}      the whole value: a copy of the referenced node (keeps its type;
///                              may be a map or a list)
///   name: run_${mixer.name}_x  inside text: string interpolation of scalars
///   ${model.${which}}          nested references are resolved inner first
///   \${literal}                escaped: stays the text "${literal}"
/// Paths are absolute from the root; list items by index ("a.0").

#include <string>

#include "config/node.h"

namespace attnlab::cfg {

/// True when `text` holds an unescaped "${".
bool has_interpolation(const std::string& text);

/// Resolves every interpolation in `root` in place. Errors (UserError, located at the value):
///   "f.yaml:3:9: cannot resolve ${model.d_modl} (did you mean model.d_model?)"
///   "f.yaml:2:4: interpolation cycle: a.b -> c.d -> a.b"
void resolve_interpolations(Node& root);

}  // namespace attnlab::cfg
