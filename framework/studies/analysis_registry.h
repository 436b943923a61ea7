#pragma once
/// `attnlab analyze <name>`: analyses of a trained run that a variant brings (Scissorhands'
/// persistence ratio, DCP's pruning map). The framework lists the registry; each analysis adds
/// its own arguments to its subcommand.

#include <functional>

#include "core/registry.h"

namespace CLI {
class App;
}

namespace attnlab {

/// Adds the analysis's arguments and callback to its subcommand; the callback sets `exit_code`.
using AnalysisSetup = std::function<void(CLI::App& command, int& exit_code)>;

/// The process-wide analysis registry (filled by register_builtin_variants()).
Registry<AnalysisSetup>& analysis_registry();

}  // namespace attnlab
