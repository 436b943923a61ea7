#pragma once
/// Runs an external program to completion and captures what it printed. Torch-free.
/// For short commands whose output is read whole (sbatch, scontrol, sacct, scancel): no shell,
/// no timeout, no streaming.

#include <string>
#include <vector>

namespace attnlab {

/// What a finished command left behind.
struct CommandResult {
  bool started = false;    ///< false: the program was not found or could not be executed
  int exit_code = -1;      ///< its exit status; 128 + N when killed by signal N; -1 when not started
  std::string out;         ///< everything it wrote to stdout
  std::string err;         ///< everything it wrote to stderr (or why it could not start)
};

/// Runs `argv[0]` (looked up on $PATH) with `argv[1..]`, stdin from /dev/null, and waits for it.
CommandResult run_command(const std::vector<std::string>& argv);

/// `text` without trailing newlines, its lines joined with "; ": a command's stderr as one line.
std::string one_line(const std::string& text);

}  // namespace attnlab
