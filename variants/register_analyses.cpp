#include "eviction/persistence_study.h"
#include "pruning/pruning_map_study.h"
#include "registry.h"
#include "studies/analysis_registry.h"

namespace attnlab {

void register_builtin_analyses() {
  auto& analyses = analysis_registry();
  analyses.add("persistence", "Scissorhands' persistence ratio per layer: pivotal tokens of the first half still pivotal later",
               setup_persistence_command);
  analyses.add("pruning", "Dynamic Context Pruning: which context tokens each dcp layer drops reading a text (/analysis/pruning)",
               setup_pruning_map_command);
}

}  // namespace attnlab
