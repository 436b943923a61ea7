#pragma once
/// Runs an external program to completion and captures what it printed. Torch-free.
/// For short commands whose output is read whole (sbatch, scontrol, sacct, scancel): no shell,
/// no timeout, no streaming.

#include <map>
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

/// This executable (/proc/self/exe) run again as `attnlab <args...>`, with `env` set on top of the
/// current environment. Everything execve needs is built by the constructor, so after a fork the
/// child only calls exec(): no allocation between fork and exec in a multi-threaded process.
class SelfExec {
 public:
  explicit SelfExec(std::vector<std::string> args, const std::map<std::string, std::string>& env = {});
  SelfExec(const SelfExec&) = delete;
  SelfExec& operator=(const SelfExec&) = delete;
  /// Replaces the process; returns only when execve failed (errno says why).
  void exec() const;

 private:
  std::vector<std::string> args_, env_;
  std::vector<char*> argv_, envp_;
};

/// `text` without trailing newlines, its lines joined with "; ": a command's stderr as one line.
std::string one_line(const std::string& text);

}  // namespace attnlab
