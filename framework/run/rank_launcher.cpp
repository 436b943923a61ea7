#include "run/rank_launcher.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "core/error.h"
#include "core/subprocess.h"

namespace attnlab {

namespace fs = std::filesystem;

namespace {

struct Rank {
  pid_t pid = -1;
  fs::path err;
  bool done = false;
  int status = 0;
};

pid_t spawn(const SelfExec& self, const std::string& err_path, bool quiet_stdout) {
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("distributed: fork failed");
  if (pid == 0) {  // only async-signal-safe calls until exec
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // a rank never outlives the process that started it
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (err >= 0) dup2(err, STDERR_FILENO), close(err);
    if (quiet_stdout) {
      const int null = open("/dev/null", O_WRONLY);
      if (null >= 0) dup2(null, STDOUT_FILENO), close(null);
    }
    self.exec();
    _exit(127);
  }
  return pid;
}

/// The rank's own error line ("error: ..." on its stderr), without the prefix.
std::string error_line(const fs::path& err) {
  std::ifstream in(err);
  std::string line, last;
  while (std::getline(in, line)) {
    if (line.rfind("error: ", 0) == 0) return line.substr(7);
    if (!line.empty()) last = line;
  }
  return last;
}

}  // namespace

int free_loopback_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("distributed: cannot open a socket to find a free port");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  close(fd);
  if (!ok) throw std::runtime_error("distributed: cannot find a free port on 127.0.0.1");
  return ntohs(address.sin_port);
}

void run_local_ranks(const fs::path& run_dir, int nproc, int64_t threads, std::chrono::milliseconds grace,
                     const std::vector<std::string>& args) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::map<std::string, std::string> env{{"WORLD_SIZE", std::to_string(nproc)},
                                         {"MASTER_ADDR", "127.0.0.1"},
                                         {"MASTER_PORT", std::to_string(free_loopback_port())}};
  if (threads == 0) env["ATTNLAB_THREADS"] = std::to_string(std::max(1, cores / nproc));
  std::vector<Rank> ranks(nproc);
  for (int r = 0; r < nproc; ++r) {
    env["RANK"] = env["LOCAL_RANK"] = std::to_string(r);
    const SelfExec self(args, env);  // built before the fork
    ranks[r].err = run_dir / fmt::format("rank{}.err", r);
    ranks[r].pid = spawn(self, ranks[r].err.string(), r > 0);
  }
  int first_failed = -1;
  auto deadline = std::chrono::steady_clock::time_point::max();
  size_t running = ranks.size();
  while (running > 0) {
    bool reaped = false;
    std::vector<int> failed;  // in this look; a rank killed by a signal is the likelier cause of the others' failure
    for (int r = 0; r < nproc; ++r) {
      Rank& rank = ranks[r];
      if (rank.done || waitpid(rank.pid, &rank.status, WNOHANG) != rank.pid) continue;
      rank.done = reaped = true;
      --running;
      if (!(WIFEXITED(rank.status) && WEXITSTATUS(rank.status) == 0)) failed.push_back(r);
    }
    if (first_failed < 0 && !failed.empty()) {
      const auto signaled = std::find_if(failed.begin(), failed.end(), [&](int r) { return WIFSIGNALED(ranks[r].status); });
      first_failed = signaled != failed.end() ? *signaled : failed.front();
      deadline = std::chrono::steady_clock::now() + grace;
    }
    if (running > 0 && std::chrono::steady_clock::now() > deadline) {
      for (auto& rank : ranks) {
        if (!rank.done) kill(rank.pid, SIGKILL);
      }
      deadline = std::chrono::steady_clock::time_point::max();
    }
    if (!reaped) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // Warnings of rank 0 (e.g. the BLAS core) reach the console; empty error files go.
  for (int r = 0; r < nproc; ++r) {
    std::error_code ec;
    if (fs::file_size(ranks[r].err, ec) == 0 && !ec) fs::remove(ranks[r].err, ec);
  }
  if (first_failed < 0) {
    if (std::ifstream in(ranks[0].err); in) std::cerr << in.rdbuf();
    return;
  }
  const Rank& culprit = ranks[first_failed];
  const std::string who = fmt::format("distributed: rank {} of {} (pid {})", first_failed, nproc, culprit.pid);
  if (WIFSIGNALED(culprit.status)) {
    const int sig = WTERMSIG(culprit.status);
    throw std::runtime_error(fmt::format("{} was killed by signal {} ({}); the other ranks were stopped", who, sig, strsignal(sig)));
  }
  const std::string line = error_line(culprit.err);
  const std::string message = fmt::format("{} failed: {}", who, line.empty() ? fmt::format("exit code {}", WEXITSTATUS(culprit.status)) : line);
  if (WEXITSTATUS(culprit.status) == kUserErrorExitCode) throw UserError(message);
  throw std::runtime_error(message);
}

}  // namespace attnlab
