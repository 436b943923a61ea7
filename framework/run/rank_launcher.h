#pragma once
/// torchrun for one machine: `distributed.nproc=N` starts N ranks of this executable and waits
/// for them. docs/distributed.md.

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace attnlab {

/// A TCP port on 127.0.0.1 that nobody listens on now (the kernel's choice for port 0).
int free_loopback_port();

/// Starts `nproc` processes `attnlab <args...>` with RANK, LOCAL_RANK, WORLD_SIZE = nproc,
/// MASTER_ADDR = 127.0.0.1, MASTER_PORT = a free port, and ATTNLAB_THREADS = cores / nproc
/// (when `threads` is 0), and waits for all of them. Rank 0's stdout is the console; the others'
/// is discarded, and every rank's stderr goes to `run_dir`/rank<r>.err (removed when empty).
///
/// When a rank fails, the others get `grace` to fail on their own (a collective to a dead rank
/// fails at once, one to a stalled rank within the timeout) and are then killed. Throws one line
/// naming the first rank that failed and how (its own error line, or the signal that killed it);
/// a UserError when that rank exited with one. The ranks die with this process (PR_SET_PDEATHSIG).
void run_local_ranks(const std::filesystem::path& run_dir, int nproc, int64_t threads, std::chrono::milliseconds grace,
                     const std::vector<std::string>& args);

}  // namespace attnlab
