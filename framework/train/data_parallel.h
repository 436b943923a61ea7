#pragma once
/// Data-parallel training on torch.distributed's c10d: Gloo on CPU, NCCL on CUDA (when LibTorch
/// was built with it). Every rank draws the whole global batch of a step from (seed, step) and
/// trains on its own slice of rows (train/grad_accum.h); gradients are summed over the ranks, so
/// N ranks are one rank with the whole batch, up to float summation order. docs/distributed.md.

#include <torch/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace attnlab {

/// This process's place in a distributed run, from torchrun's variables (RANK, WORLD_SIZE,
/// LOCAL_RANK, MASTER_ADDR, MASTER_PORT) or Slurm's (SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID;
/// MASTER_ADDR and MASTER_PORT then come from the job script). world == 1: not distributed.
struct RankEnv {
  int rank = 0;
  int world = 1;
  int local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;

  bool distributed() const { return world > 1; }
  /// UserError naming the variable when one is set but malformed (a rank outside [0, world)).
  static RankEnv from_env();
};

/// Whether this build can train data-parallel (LibTorch's c10d and the Gloo headers were found).
bool data_parallel_available();

/// One rank's process group. Collectives that wait longer than `timeout` throw a one-line
/// std::runtime_error naming this rank (another rank died or stalled); the rendezvous waits at
/// least 60 s (ranks arrive as they finish preparing their data).
class DataParallel {
 public:
  DataParallel(const RankEnv& env, std::chrono::milliseconds timeout, const torch::Device& device);
  ~DataParallel();
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  int rank() const { return env_.rank; }
  int world() const { return env_.world; }
  /// Rank 0's values into every rank's `tensors` (the weights and buffers at start).
  void broadcast(const std::vector<torch::Tensor>& tensors);
  /// Sums `tensors` over the ranks, in place. They are flattened into buckets of at most
  /// `bucket_bytes`, all started before the first is waited on.
  void all_reduce_sum(const std::vector<torch::Tensor>& tensors, int64_t bucket_bytes = 25 << 20);
  /// Returns when every rank has reached it.
  void barrier();

 private:
  friend class GradientReducer;
  [[noreturn]] void fail(const std::string& what, const std::exception& e) const;

  RankEnv env_;
  std::chrono::milliseconds timeout_;
  struct Group;
  std::unique_ptr<Group> group_;
};

/// Sums the parameters' gradients over the ranks while the backward pass runs, as c10d's DDP
/// Reducer does: the parameters form buckets in reverse order (the last layers' gradients arrive
/// first), and a bucket's all-reduce starts when its last gradient arrives, in bucket order on
/// every rank. Hooks on the parameters copy each gradient (plus what `.grad` already holds from
/// earlier micro-batches) into its bucket; they act only in an armed backward pass.
class GradientReducer {
 public:
  GradientReducer(DataParallel& group, const std::vector<torch::Tensor>& parameters, int64_t bucket_bytes = 25 << 20);
  ~GradientReducer();  ///< removes the hooks
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  /// The next backward pass is the step's last: its gradients complete `.grad` and are reduced.
  void arm();
  /// After the armed backward: reduces the parameters no gradient reached, waits for every bucket
  /// and writes the sums into `.grad` (left undefined where it was).
  void finish();
  /// Buckets whose all-reduce has started since the last finish() (for tests: during the backward pass).
  size_t started() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace attnlab
