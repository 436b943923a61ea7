#pragma once
/// `attnlab analyze persistence <run dir>`: the Scissorhands persistence ratio of every layer of a
/// trained run (persistence.h) over its validation windows, or a probe task's test examples,
/// printed and appended to /analysis/persistence (columns: layer, ratio) in the run's run.h5.

#include <iosfwd>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace attnlab {

struct PersistenceRequest {
  std::string run_dir;
  int64_t max_windows = 0;             ///< validation windows; 0 = the run's eval.max_windows
  std::vector<std::string> overrides;  ///< eval.* / device / threads overrides
  std::string config_dir;
};

/// Returns the exit code (0). Layers without attention weights get no row (a note is printed).
int run_persistence_study(const PersistenceRequest& request, std::ostream& out);

/// The arguments of `attnlab analyze persistence` (registered in variants/register_analyses.cpp).
void setup_persistence_command(CLI::App& command, int& exit_code);

}  // namespace attnlab
