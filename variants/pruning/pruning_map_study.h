#pragma once
/// `attnlab analyze pruning <run dir> --text "..."`: the pruning map of a trained DCP run for one
/// text (pruning_map.h), printed and appended to /analysis/pruning in the run's run.h5 as one row
/// per (layer, token): sample, layer, position, token, dropped_at, dropped_share. `sample` numbers
/// the analyses of a run (the report shows the latest). The console summary answers "which tokens
/// go first": per layer, the dropped share of punctuation, function words and other tokens, and
/// the tokens dropped earliest.

#include <iosfwd>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace attnlab {

struct PruningMapRequest {
  std::string run_dir;
  std::string text;                    ///< the text to read (UTF-8); truncated to model.ctx tokens
  std::vector<std::string> overrides;  ///< device / threads overrides
  std::string config_dir;
};

/// Returns the exit code (0). UserError for an empty text or a run without a `dcp` layer.
int run_pruning_map_study(const PruningMapRequest& request, std::ostream& out);

/// The arguments of `attnlab analyze pruning` (registered in variants/register_analyses.cpp).
void setup_pruning_map_command(CLI::App& command, int& exit_code);

/// "punctuation" (no letter or digit), "function word" (a common English closed-class word, after
/// trimming spaces and lower-casing) or "other": the classes the console summary compares.
std::string token_class(const std::string& token_text);

}  // namespace attnlab
