#include "run/local_launcher.h"

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <iostream>
#include <map>
#include <thread>

#include "config/map_reader.h"
#include "core/subprocess.h"

namespace attnlab {

namespace {

/// Starts `attnlab <args...>` as a child process; stdout/stderr are inherited.
pid_t spawn_self(const std::vector<std::string>& args, const std::map<std::string, std::string>& env) {
  const SelfExec self(args, env);  // built before the fork: the child only calls execve
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    self.exec();
    _exit(127);
  }
  return pid;
}

}  // namespace

LocalLauncher::LocalLauncher(const cfg::Node& section) {
  cfg::MapReader reader(section, "launcher");
  reader.string("name", "local");
  reader.finish();
}

int LocalLauncher::operator()(SweepDir& sweep, int parallel) {
  const int jobs = std::max(1, parallel);
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::map<std::string, std::string> env;
  if (jobs > 1) env["ATTNLAB_THREADS"] = std::to_string(std::max(1, cores / jobs));

  std::map<pid_t, size_t> running;
  size_t next = 0;
  auto start_next = [&]() -> bool {
    for (; next < sweep.jobs.size(); ++next) {
      SweepJob& job = sweep.jobs[next];
      if (!job.pending()) continue;
      const std::vector<std::string> args = sweep.job_arguments(job);
      auto job_env = env;
      job_env["ATTNLAB_LOG_PREFIX"] = jobs > 1 ? "[" + job.name + "] " : "";
      job.status = "running";
      job.error.clear();
      sweep.save_index();
      std::cout << fmt::format("== job {}/{}: {}", next + 1, sweep.jobs.size(), job.name) << std::endl;
      running[spawn_self(args, job_env)] = next++;
      return true;
    }
    return false;
  };

  while (true) {
    while (static_cast<int>(running.size()) < jobs && start_next()) {
    }
    if (running.empty()) break;
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    auto it = running.find(pid);
    if (it == running.end()) continue;
    SweepJob& job = sweep.jobs[it->second];
    running.erase(it);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      job.status = "completed";
    } else {
      std::string error = sweep.job_error_file(job);
      if (error.empty()) {
        error = WIFSIGNALED(status)
                    ? fmt::format("killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)))
                    : fmt::format("exit code {}", WEXITSTATUS(status));
      }
      sweep.fail_job(job, error, WIFSIGNALED(status));
    }
    sweep.save_index();
  }
  return sweep.print_summary();
}

}  // namespace attnlab
