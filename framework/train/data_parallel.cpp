#include "train/data_parallel.h"

#include <fmt/format.h>
#include <torch/version.h>

#include <cstdlib>
#include <stdexcept>

#include "core/error.h"

#ifdef ATTNLAB_HAVE_C10D
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif
#endif

namespace attnlab {

namespace {

/// The integer in $name, or `fallback` when it is unset; UserError when it is not a number.
int env_int(const char* name, int fallback) {
  const char* text = std::getenv(name);
  if (!text || !*text) return fallback;
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (*end != '\0' || value < 0 || value > 1 << 24) throw UserError(fmt::format("${}: expected a count, got '{}'", name, text));
  return static_cast<int>(value);
}

}  // namespace

RankEnv RankEnv::from_env() {
  RankEnv env;
  const bool torchrun = std::getenv("WORLD_SIZE") != nullptr;
  // Slurm's variables only count inside a job step that asked for data parallelism: the job
  // script of launcher=slurm sets ATTNLAB_SLURM_RANKS (a one-task array job is not distributed).
  const bool slurm = !torchrun && std::getenv("ATTNLAB_SLURM_RANKS") && std::getenv("SLURM_PROCID");
  if (torchrun) {
    env.world = env_int("WORLD_SIZE", 1);
    env.rank = env_int("RANK", 0);
    env.local_rank = env_int("LOCAL_RANK", env.rank);
  } else if (slurm) {
    env.world = env_int("SLURM_NTASKS", 1);
    env.rank = env_int("SLURM_PROCID", 0);
    env.local_rank = env_int("SLURM_LOCALID", 0);
  }
  if (env.world < 1) throw UserError("$WORLD_SIZE: must be at least 1");
  if (env.rank >= env.world) throw UserError(fmt::format("rank {} is outside a world of {} ranks ($RANK / $SLURM_PROCID)", env.rank, env.world));
  if (const char* addr = std::getenv("MASTER_ADDR"); addr && *addr) env.master_addr = addr;
  env.master_port = env_int("MASTER_PORT", env.master_port);
  if (env.master_port < 1 || env.master_port > 65535) throw UserError(fmt::format("$MASTER_PORT: {} is not a port", env.master_port));
  return env;
}

#ifdef ATTNLAB_HAVE_C10D

#if TORCH_VERSION_MAJOR >= 2
using GroupBase = c10d::Backend;  // 2.x: ProcessGroupGloo/NCCL are backends of a ProcessGroup
#else
using GroupBase = c10d::ProcessGroup;
#endif

struct DataParallel::Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<GroupBase> group;
};

bool data_parallel_available() { return true; }

namespace {

/// The first line of a c10d/Gloo error, without LibTorch's backtrace.
std::string first_line(const std::exception& e) {
  std::string text = e.what();
  if (const auto* error = dynamic_cast<const c10::Error*>(&e)) text = error->what_without_backtrace();
  const auto end = text.find('\n');
  return end == std::string::npos ? text : text.substr(0, end);
}

/// The defined `tensors`, taken in `order` (indices), grouped into buckets of at most
/// `bucket_bytes` (a larger tensor alone) with one dtype and device each.
std::vector<std::vector<size_t>> plan_buckets(const std::vector<torch::Tensor>& tensors, const std::vector<size_t>& order,
                                              int64_t bucket_bytes) {
  std::vector<std::vector<size_t>> buckets;
  int64_t bytes = 0;
  for (size_t i : order) {
    const torch::Tensor& t = tensors[i];
    if (!t.defined()) continue;
    const int64_t size = t.numel() * static_cast<int64_t>(t.element_size());
    const bool same_kind = !buckets.empty() && tensors[buckets.back().front()].dtype() == t.dtype() &&
                           tensors[buckets.back().front()].device() == t.device();
    if (buckets.empty() || !same_kind || bytes + size > bucket_bytes) {
      buckets.emplace_back();
      bytes = 0;
    }
    buckets.back().push_back(i);
    bytes += size;
  }
  return buckets;
}

/// Runs `op` on flat buckets of `tensors` (same dtype and device within a bucket) and copies the
/// results back. All buckets are started before the first is waited on.
template <typename Op>
void bucketed(const std::vector<torch::Tensor>& tensors, int64_t bucket_bytes, Op op) {
  std::vector<size_t> order(tensors.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::vector<std::vector<torch::Tensor>> buckets;
  for (const auto& members : plan_buckets(tensors, order, bucket_bytes)) {
    buckets.emplace_back();
    for (size_t i : members) buckets.back().push_back(tensors[i]);
  }
  std::vector<std::vector<torch::Tensor>> flats;  // one [n] tensor per bucket; never reallocated while in flight
  flats.reserve(buckets.size());
  std::vector<c10::intrusive_ptr<c10d::Work>> works;
  for (const auto& bucket : buckets) {
    std::vector<torch::Tensor> pieces;
    for (const auto& t : bucket) pieces.push_back(t.detach().reshape(-1));
    flats.push_back({torch::cat(pieces)});
    works.push_back(op(flats.back()));
  }
  for (size_t i = 0; i < buckets.size(); ++i) {
    works[i]->wait();
    torch::NoGradGuard no_grad;
    int64_t offset = 0;
    for (const auto& t : buckets[i]) {
      t.copy_(flats[i][0].narrow(0, offset, t.numel()).view_as(t));
      offset += t.numel();
    }
  }
}

}  // namespace

DataParallel::DataParallel(const RankEnv& env, std::chrono::milliseconds timeout, const torch::Device& device)
    : env_(env), timeout_(timeout), group_(std::make_unique<Group>()) {
  try {
    c10d::TCPStoreOptions store_options;
    store_options.port = static_cast<std::uint16_t>(env.master_port);
    store_options.isServer = env.rank == 0;
    store_options.numWorkers = env.world;
    store_options.waitWorkers = true;
    // Ranks reach the rendezvous after preparing their data, not all at once: it waits at least
    // a minute, however short the collectives' timeout.
    store_options.timeout = std::max<std::chrono::milliseconds>(timeout, std::chrono::seconds(60));
    group_->store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, store_options);
    if (device.is_cuda()) {
#ifdef USE_C10D_NCCL
      auto options = c10d::ProcessGroupNCCL::Options::create();
      options->timeout = timeout;
      group_->group = c10::make_intrusive<c10d::ProcessGroupNCCL>(group_->store, env.rank, env.world, options);
#else
      throw UserError("distributed: this LibTorch has no NCCL (c10d built without USE_C10D_NCCL); train on device=cpu with Gloo");
#endif
    } else {
      auto options = c10d::ProcessGroupGloo::Options::create(timeout);
      if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname) {
        options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
      } else if (env.master_addr == "127.0.0.1" || env.master_addr == "localhost") {
        options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
      } else {
        options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      }
      options->threads = 2;
      group_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(group_->store, env.rank, env.world, options);
    }
  } catch (const UserError&) {
    throw;
  } catch (const std::exception& e) {
    fail(fmt::format("meeting the other ranks at {}:{}", env.master_addr, env.master_port), e);
  }
}

DataParallel::~DataParallel() = default;

void DataParallel::fail(const std::string& what, const std::exception& e) const {
  throw std::runtime_error(fmt::format("distributed: rank {} of {} failed {} (another rank died or stalled longer than "
                                       "distributed.timeout_s = {}): {}",
                                       env_.rank, env_.world, what, timeout_.count() / 1000.0, first_line(e)));
}

void DataParallel::broadcast(const std::vector<torch::Tensor>& tensors) {
  try {
    bucketed(tensors, 25 << 20, [&](std::vector<torch::Tensor>& flat) { return group_->group->broadcast(flat); });
  } catch (const std::exception& e) {
    fail("in a broadcast", e);
  }
}

void DataParallel::all_reduce_sum(const std::vector<torch::Tensor>& tensors, int64_t bucket_bytes) {
  try {
    bucketed(tensors, bucket_bytes, [&](std::vector<torch::Tensor>& flat) { return group_->group->allreduce(flat); });
  } catch (const std::exception& e) {
    fail("in an all-reduce", e);
  }
}

void DataParallel::barrier() {
  try {
    group_->group->barrier()->wait();
  } catch (const std::exception& e) {
    fail("at a barrier", e);
  }
}

struct GradientReducer::State {
  struct Bucket {
    std::vector<size_t> members;  // parameter indices, in the order they sit in `flat`
    torch::Tensor flat;           // [n], reused every step
    size_t waiting = 0;           // members whose gradient has not arrived this step
    c10::intrusive_ptr<c10d::Work> work;
  };
  DataParallel* group = nullptr;
  std::vector<torch::Tensor> parameters;
  std::vector<unsigned> hooks;
  std::vector<Bucket> buckets;
  std::vector<size_t> bucket_of;
  std::vector<int64_t> offset_of;
  std::vector<bool> arrived;
  size_t next_launch = 0;
  bool armed = false;

  torch::Tensor slot(size_t i) { return buckets[bucket_of[i]].flat.narrow(0, offset_of[i], parameters[i].numel()).view_as(parameters[i]); }

  /// Starts the ready buckets in bucket order: a collective's order must be the same on every rank.
  void launch_ready() {
    try {
      for (; next_launch < buckets.size() && buckets[next_launch].waiting == 0; ++next_launch) {
        std::vector<torch::Tensor> flat{buckets[next_launch].flat};
        buckets[next_launch].work = group->group_->group->allreduce(flat);
      }
    } catch (const std::exception& e) {
      group->fail("in an all-reduce", e);
    }
  }

  /// gradient: what the backward pass is about to add to parameter i's `.grad`.
  void on_gradient(size_t i, const torch::Tensor& gradient) {
    if (!armed) return;
    if (arrived[i]) throw std::logic_error("GradientReducer: a second gradient for one parameter in one backward pass");
    torch::NoGradGuard no_grad;
    const torch::Tensor& held = parameters[i].grad();
    if (held.defined()) {
      torch::Tensor out = slot(i);
      torch::add_out(out, held, gradient);  // what accumulation will leave in .grad
    } else {
      slot(i).copy_(gradient);
    }
    arrived[i] = true;
    if (--buckets[bucket_of[i]].waiting == 0) launch_ready();
  }
};

GradientReducer::GradientReducer(DataParallel& group, const std::vector<torch::Tensor>& parameters, int64_t bucket_bytes)
    : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.group = &group;
  s.parameters = parameters;
  const size_t n = parameters.size();
  s.bucket_of.assign(n, 0);
  s.offset_of.assign(n, 0);
  s.arrived.assign(n, false);
  std::vector<size_t> reverse(n);  // the gradients of the last layers come first
  for (size_t i = 0; i < n; ++i) reverse[i] = n - 1 - i;
  for (auto& members : plan_buckets(parameters, reverse, bucket_bytes)) {
    State::Bucket bucket;
    int64_t numel = 0;
    for (size_t k : members) {
      s.bucket_of[k] = s.buckets.size();
      s.offset_of[k] = numel;
      numel += parameters[k].numel();
    }
    bucket.flat = torch::zeros({numel}, parameters[members.front()].options().requires_grad(false));
    bucket.waiting = members.size();
    bucket.members = std::move(members);
    s.buckets.push_back(std::move(bucket));
  }
  State* state = state_.get();
  for (size_t i = 0; i < n; ++i)
    s.hooks.push_back(parameters[i].register_hook([state, i](const torch::Tensor& gradient) { state->on_gradient(i, gradient); }));
}

GradientReducer::~GradientReducer() {
  for (size_t i = 0; i < state_->hooks.size(); ++i) state_->parameters[i].remove_hook(state_->hooks[i]);
}

void GradientReducer::arm() { state_->armed = true; }

size_t GradientReducer::started() const { return state_->next_launch; }

void GradientReducer::finish() {
  State& s = *state_;
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < s.parameters.size(); ++i) {  // parameters the backward pass did not reach
    if (s.arrived[i]) continue;
    const torch::Tensor& held = s.parameters[i].grad();
    if (held.defined()) s.slot(i).copy_(held);
    else s.slot(i).zero_();
    s.arrived[i] = true;
    --s.buckets[s.bucket_of[i]].waiting;
  }
  s.launch_ready();
  for (auto& bucket : s.buckets) {
    try {
      bucket.work->wait();
    } catch (const std::exception& e) {
      s.group->fail("in an all-reduce", e);
    }
    bucket.work.reset();
    for (size_t i : bucket.members) {
      if (s.parameters[i].grad().defined()) s.parameters[i].grad().copy_(s.slot(i));
    }
    bucket.waiting = bucket.members.size();
  }
  s.arrived.assign(s.arrived.size(), false);
  s.next_launch = 0;
  s.armed = false;
}

#else  // no c10d in this build

struct DataParallel::Group {};

bool data_parallel_available() { return false; }

DataParallel::DataParallel(const RankEnv& env, std::chrono::milliseconds timeout, const torch::Device&)
    : env_(env), timeout_(timeout) {
  throw UserError("distributed: this attnlab was built without LibTorch's c10d/Gloo (install libgloo-dev and rebuild)");
}
DataParallel::~DataParallel() = default;
void DataParallel::fail(const std::string& what, const std::exception& e) const { throw std::runtime_error(what + e.what()); }
void DataParallel::broadcast(const std::vector<torch::Tensor>&) {}
void DataParallel::all_reduce_sum(const std::vector<torch::Tensor>&, int64_t) {}
void DataParallel::barrier() {}

struct GradientReducer::State {};
GradientReducer::GradientReducer(DataParallel&, const std::vector<torch::Tensor>&, int64_t) {}
GradientReducer::~GradientReducer() = default;
void GradientReducer::arm() {}
void GradientReducer::finish() {}
size_t GradientReducer::started() const { return 0; }

#endif

}  // namespace attnlab
