#include "run/run_job.h"

#include <dlfcn.h>
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <optional>
#include <thread>

#include "config/yaml_loader.h"
#include "core/blas_core.h"
#include "core/error.h"
#include "data/dataset.h"
#include "data/token_data.h"
#include "model/layer_plan.h"
#include "results/run_reader.h"
#include "results/run_store.h"
#include "results/schema.h"
#include "run/plan.h"
#include "run/rank_launcher.h"
#include "run/run_log.h"
#include "train/checkpoint.h"
#include "train/data_parallel.h"
#include "train/trainer.h"
#include "train/warm_start.h"

namespace attnlab {

namespace fs = std::filesystem;

namespace {

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return buffer;
}

std::string overrides_yaml(const std::vector<std::string>& overrides) {
  if (overrides.empty()) return "[]\n";
  std::string out;
  for (const auto& o : overrides) out += "- " + cfg::Node::scalar(o, {}, true).to_yaml();
  return out;
}

/// The cores a process of `threads` (0 = all, or $ATTNLAB_THREADS from a parallel sweep) uses.
int64_t process_cores(int64_t threads) {
  int64_t cores = threads > 0 ? threads : std::max<int64_t>(1, std::thread::hardware_concurrency());
  if (const char* from_launcher = std::getenv("ATTNLAB_THREADS"); threads == 0 && from_launcher) {
    cores = std::max<int64_t>(1, std::atoll(from_launcher));  // a parallel sweep divides the cores
  }
  return cores;
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) throw UserError("cannot write " + path.string());
}

TransformerLM build_model(const RunConfig& config, int64_t vocab_size, const std::string& device) {
  ModelOptions options = config.model;
  options.vocab_size = vocab_size;
  LayerPlan plan = LayerPlan::from_config(config.mixer, config.hybrid, options.n_layers);
  TransformerLM model(options, plan);
  model->to(torch::Device(device));
  return model;
}

/// Everything a run needs in memory, prepared before its directory exists.
struct Prepared {
  data::TokenData data;  // a text corpus's tokens (empty for a probe task)
  std::shared_ptr<data::Dataset> dataset;
  TransformerLM model{nullptr};
  std::string device;
  std::string threads;
  std::optional<WarmStart> warm;  // init_from: what came from the checkpoint
};

/// The window a run trains on: the task's fixed length, train.seq_len, or the model's context.
int64_t train_seq_len(const RunConfig& config, const data::Dataset& dataset) {
  return dataset.fixed_seq_len() ? dataset.fixed_seq_len() : config.train.seq_len > 0 ? config.train.seq_len : config.model.ctx;
}

TrainingEstimate estimate(const RunConfig& config, const Prepared& p) {
  ModelOptions options = p.model->options();
  return estimate_training(options, p.model->parameter_count(), config.train.batch_size, config.train.grad_accum,
                           train_seq_len(config, *p.dataset));
}

/// A run whose weights, optimizer and activations alone exceed the memory left is refused before
/// it starts (GPU memory is not checked: no GPU here to test it).
void check_memory(const RunConfig& config, const Prepared& p) {
  if (p.device != "cpu") return;
  const TrainingEstimate e = estimate(config, p);
  const double available = available_memory_bytes();
  if (available <= 0 || e.required_bytes() <= available) return;
  const double gib = 1024.0 * 1024 * 1024;
  throw UserError(fmt::format("train: {} x {} tokens need about {:.1f} GiB (weights, gradients and AdamW {:.2f} GiB, "
                              "activations {:.1f} GiB), more than the {:.1f} GiB available here (MemAvailable); lower "
                              "train.batch_size or the sequence length, or raise train.grad_accum (attnlab plan)",
                              config.train.batch_size, train_seq_len(config, *p.dataset), e.required_bytes() / gib,
                              (e.weight_bytes + e.gradient_bytes + e.optimizer_bytes) / gib, e.activation_bytes / gib,
                              available / gib));
}

/// Data, tokenizer and model of a run; a new run (not `resuming`) with init_from starts from
/// that checkpoint's weights. `train.trainable: new` freezes what the checkpoint provided.
/// `check_fits`: refuse a run that cannot fit in memory (`attnlab plan` reports it instead).
Prepared prepare(const RunConfig& config, bool resuming, bool check_fits = true) {
  Prepared p;
  p.threads = configure_threads(config.threads);
  p.device = resolve_device(config.device);
  if (const RankEnv env = RankEnv::from_env(); env.distributed() && p.device == "cuda") {
    // one GPU a rank, as torchrun scripts do; modulo the visible ones, so a launcher that
    // gives each rank its own CUDA_VISIBLE_DEVICES works too (untested: no GPU here)
    p.device = fmt::format("cuda:{}", env.local_rank % std::max<int64_t>(1, static_cast<int64_t>(torch::cuda::device_count())));
  }
  torch::manual_seed(config.seed);
  if (config.data.task.is_null()) p.data = data::TokenData::prepare(config.data, static_cast<int>(process_cores(config.threads)));
  p.dataset = data::make_dataset(config.data, &p.data);
  if (p.dataset->fixed_seq_len() > config.model.ctx) {
    throw UserError(fmt::format("model.ctx = {} is shorter than the task's sequences (data.task.seq_len = {})",
                                config.model.ctx, p.dataset->fixed_seq_len()));
  }
  p.model = build_model(config, p.dataset->vocab_size(), p.device);
  if (check_fits) check_memory(config, p);
  if (p.model->wants_train_prefix()) {
    // e.g. FixedSeqQK: the Q/K stream is the first ctx tokens of the training data.
    const std::vector<int64_t> first = p.dataset->train_prefix(config.model.ctx);
    p.model->set_train_prefix(torch::tensor(first, torch::kInt64).to(torch::Device(p.device)));
  }
  const bool freeze = config.train.trainable == "new";
  if (!config.init_from.empty() && (!resuming || freeze)) {
    // A resumed run has all its weights in its own checkpoint; it only needs to know which are new.
    p.warm = warm_start(p.model, config.init_from, config.data, /*copy=*/!resuming);
    if (freeze) freeze_all_but_fresh(p.model, *p.warm);
  }
  return p;
}

int64_t trainable_parameter_count(TransformerLMImpl& model) {
  int64_t n = 0;
  for (const auto& parameter : model.parameters()) n += parameter.requires_grad() ? parameter.numel() : 0;
  return n;
}

void print_summary(RunLog& log, const RunConfig& config, Prepared& p, const fs::path& run_dir) {
  const auto& m = config.model;
  log.line(fmt::format("run      {}", run_dir.string()));
  log.line(fmt::format("model    {} layers, d_model {}, {} heads, ctx {}, ffn {}, {} params", m.n_layers, m.d_model,
                       m.n_heads, m.ctx, p.model->options().ffn_hidden_size(), p.model->parameter_count()));
  log.line(fmt::format("layers   {}", p.model->plan().summary()));
  log.line("data     " + p.dataset->summary());
  const int64_t seq_len = train_seq_len(config, *p.dataset);
  const std::string micro = config.train.grad_accum > 1 ? fmt::format(" in {} micro-batches", config.train.grad_accum) : "";
  log.line(fmt::format("train    {} steps x {} x {} tokens{}, lr {} (warm-up {}, cosine to {})", config.train.steps,
                       config.train.batch_size, seq_len, micro,
                       config.train.lr, config.train.warmup_steps, config.train.min_lr));
  if (p.warm) {
    log.line("init     " + p.warm->summary());
    if (config.train.trainable == "new") {
      log.line(fmt::format("trains   only the {} new parameter tensors ({} parameters)", p.warm->fresh.size(),
                           trainable_parameter_count(*p.model)));
    }
  }
  log.line(fmt::format("device   {} | threads {}", p.device, p.threads));
}

/// Runs `body`; on an exception marks the store failed (with the message) and rethrows.
template <typename Body>
EvalResult guarded(results::RunStore& store, RunLog& log, Body body) {
  try {
    EvalResult result = body();
    store.mark_completed();
    return result;
  } catch (const std::exception& e) {
    log.end_progress();
    try {
      store.mark_failed(e.what());
    } catch (const std::exception&) {
      // e.g. the disk is full: the run file keeps status `running`; the original error is the news
    }
    throw;
  }
}

/// This process's rank of a data-parallel run (null when it trains alone): the process group,
/// joined once the data and the model are ready.
std::shared_ptr<DataParallel> join_group(const RunConfig& config, const RankEnv& env, const Prepared& p) {
  if (!env.distributed()) return nullptr;
  const int64_t parts = env.world * config.train.grad_accum;
  if (config.train.batch_size % parts != 0)
    throw UserError(fmt::format("train.batch_size: {} rows cannot be split into {} ranks x train.grad_accum = {} "
                                "micro-batches (the global batch must be a multiple of {})",
                                config.train.batch_size, env.world, config.train.grad_accum, parts));
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(config.distributed.timeout_s * 1000));
  return std::make_shared<DataParallel>(env, timeout, torch::Device(p.device));
}

/// Rank r > 0 trains in step with rank 0 and writes nothing: its rows go to a scratch run file,
/// removed at the end, and its log is silent. Resumes from `checkpoint` when given.
EvalResult follow(const RunConfig& config, Prepared& p, std::shared_ptr<DataParallel> group, const fs::path& run_dir,
                  const std::string& config_yaml, const fs::path& checkpoint) {
  std::string scratch_template = (fs::temp_directory_path() / "attnlab-rank-XXXXXX").string();
  if (!mkdtemp(scratch_template.data())) throw std::runtime_error("distributed: cannot make a scratch folder in /tmp");
  const fs::path scratch = scratch_template;
  struct Remove {
    fs::path dir;
    ~Remove() {
      std::error_code ignored;
      fs::remove_all(dir, ignored);
    }
  } remove{scratch};
  results::RunInfo info;
  info.config_yaml = config_yaml;
  results::RunStore store = results::RunStore::create((scratch / "run.h5").string(), info);
  RunLog log = RunLog::silent();
  Trainer trainer(p.model, p.dataset, config.train, config.eval, static_cast<uint64_t>(config.seed), run_dir, store, log,
                  config_yaml);
  trainer.set_data_parallel(std::move(group));
  if (!checkpoint.empty()) trainer.resume_from(checkpoint.string());
  return trainer.run();
}

/// The last validation row of the run file the ranks wrote.
EvalResult last_eval(const fs::path& run_file) {
  const results::RunReader reader(run_file.string());
  const auto splits = reader.strings(results::kEvalTable, "split");
  const auto loss = reader.doubles(results::kEvalTable, "loss"), ppl = reader.doubles(results::kEvalTable, "ppl"),
             bpc = reader.doubles(results::kEvalTable, "bpc");
  EvalResult r;
  for (size_t i = 0; i < splits.size(); ++i) {
    if (splits[i] == results::kValSplit) r.loss = loss[i], r.ppl = ppl[i], r.bpc = bpc[i];
  }
  return r;
}

/// distributed.nproc > 1 in a process that is no rank yet: start the ranks here (torchrun).
/// `args` make each of them run or resume the run in `run_dir`, which `prepare_dir` sets up
/// once the config has been checked.
template <typename PrepareDir>
EvalResult run_ranks(const RunConfig& config, bool resuming, const fs::path& run_dir, const std::vector<std::string>& args,
                     PrepareDir prepare_dir) {
  if (!data_parallel_available())
    throw UserError(fmt::format("distributed.nproc: {} ranks need LibTorch's c10d and Gloo, and this attnlab was built "
                                "without them (apt install libgloo-dev, then rebuild)", config.distributed.nproc));
  prepare(config, resuming);  // bad input fails here, before anything is written (and text is tokenised once)
  prepare_dir();
  const auto grace = std::chrono::milliseconds(static_cast<int64_t>(config.distributed.timeout_s * 1000));
  run_local_ranks(run_dir, static_cast<int>(config.distributed.nproc), config.threads, grace, args);
  return last_eval(run_dir / "run.h5");
}

}  // namespace

EvalResult execute_run(const RunPlan& plan, const fs::path& run_dir, const std::string& console_prefix) {
  const RunConfig& config = plan.config;
  const RankEnv env = RankEnv::from_env();
  auto make_dir = [&] {
    if (fs::exists(run_dir / "run.h5")) throw UserError("run directory " + run_dir.string() + " already holds a run");
    fs::create_directories(run_dir);
    write_text(run_dir / "config.yaml", plan.config_yaml);
    write_text(run_dir / "overrides.yaml", overrides_yaml(plan.overrides));
  };
  if (!env.distributed() && config.distributed.nproc > 1) {
    std::vector<std::string> args{"run", "--run-dir", run_dir.string(), "--resolved-config", (run_dir / "config.yaml").string()};
    args.insert(args.end(), plan.overrides.begin(), plan.overrides.end());
    return run_ranks(config, false, run_dir, args, make_dir);
  }
  Prepared p = prepare(config, /*resuming=*/false);
  std::shared_ptr<DataParallel> group = join_group(config, env, p);
  if (env.rank > 0) return follow(config, p, group, run_dir, plan.config_yaml, {});
  make_dir();
  RunLog log((run_dir / "log.txt").string(), console_prefix);

  results::RunInfo info;
  info.config_yaml = plan.config_yaml;
  info.overrides_yaml = overrides_yaml(plan.overrides);
  info.torch_version = TORCH_VERSION;
  info.threads = p.threads;
  info.started_at = utc_now();
  info.seed = config.seed;
  info.n_params = p.model->parameter_count();
  results::RunStore store = results::RunStore::create((run_dir / "run.h5").string(), info);
  if (const double chance = p.dataset->chance_accuracy(); !std::isnan(chance)) store.set_attribute("chance_accuracy", chance);
  // the kernels and their rate on this run's BLAS threads (a resumed run keeps its first start's)
  const std::string blas_core = blas::core_description();
  const double gemm_gflops = blas::measure_gemm_gflops();
  store.set_attribute("blas_core", blas_core);
  if (std::isfinite(gemm_gflops)) store.set_attribute("gemm_gflops", gemm_gflops);
  print_summary(log, config, p, run_dir);
  log.line(fmt::format("blas     {} | sgemm 512^3 {:.0f} GFLOP/s", blas_core, gemm_gflops));
  if (group) log.line(fmt::format("ranks    {} (c10d, {}:{}), {} rows each", env.world, env.master_addr, env.master_port,
                                  config.train.batch_size / env.world));
  return guarded(store, log, [&] {
    Trainer trainer(p.model, p.dataset, config.train, config.eval, static_cast<uint64_t>(config.seed), run_dir, store, log,
                    plan.config_yaml);
    trainer.set_data_parallel(group);
    return trainer.run();
  });
}

EvalResult resume_run(const fs::path& run_dir, const std::string& console_prefix) {
  const fs::path checkpoint = Trainer::checkpoint_path(run_dir);
  if (!fs::exists(run_dir / "config.yaml")) throw UserError(run_dir.string() + ": not a run directory (no config.yaml)");
  if (!fs::exists(checkpoint)) throw UserError(run_dir.string() + ": no checkpoint to resume from (" + checkpoint.string() + ")");
  RunPlan plan;
  plan.config_yaml = read_checkpoint_meta(checkpoint.string()).config_yaml;
  plan.config = RunConfig::from_config(cfg::parse_yaml(plan.config_yaml, checkpoint.string() + " (config)"));
  const RankEnv env = RankEnv::from_env();
  if (!env.distributed() && plan.config.distributed.nproc > 1)
    return run_ranks(plan.config, true, run_dir, {"run", "--resume", run_dir.string()}, [] {});
  Prepared p = prepare(plan.config, /*resuming=*/true);
  std::shared_ptr<DataParallel> group = join_group(plan.config, env, p);
  if (env.rank > 0) return follow(plan.config, p, group, run_dir, plan.config_yaml, checkpoint);
  RunLog log((run_dir / "log.txt").string(), console_prefix);
  results::RunStore store = results::RunStore::open((run_dir / "run.h5").string());
  return guarded(store, log, [&] {
    Trainer trainer(p.model, p.dataset, plan.config.train, plan.config.eval, static_cast<uint64_t>(plan.config.seed),
                    run_dir, store, log, plan.config_yaml);
    trainer.set_data_parallel(group);
    trainer.resume_from(checkpoint.string());
    log.line(fmt::format("resumed  {} at step {}", run_dir.string(), trainer.step()));
    return trainer.run();
  });
}

std::string plan_run(const RunConfig& config, double peak_flops, int64_t total_tokens, int64_t vocab_size) {
  TrainingEstimate e;
  std::string threads, device = "cpu";
  if (vocab_size > 0) {  // another tokenizer's vocabulary: no data is read
    threads = configure_threads(config.threads);
    const TransformerLM model = build_model(config, vocab_size, device);
    e = estimate_training(model->options(), model->parameter_count(), config.train.batch_size, config.train.grad_accum,
                          config.train.seq_len > 0 ? config.train.seq_len : config.model.ctx);
  } else {
    const Prepared p = prepare(config, /*resuming=*/false, /*check_fits=*/false);
    e = estimate(config, p);
    threads = p.threads;
    device = p.device;
  }
  if (total_tokens < 0) total_tokens = config.train.steps * e.tokens_per_step;
  std::string source = "given";
  if (peak_flops <= 0) {
    peak_flops = blas::measure_gemm_gflops() * 1e9;
    source = fmt::format("sgemm measured here on {}", threads);
  }
  std::string out = format_plan(e, peak_flops, source, total_tokens);
  const double available = available_memory_bytes();
  if (device == "cpu" && available > 0 && e.required_bytes() > available)
    out += fmt::format("does not fit: {:.1f} GiB available here (MemAvailable); `attnlab run` refuses it\n",
                       available / (1024.0 * 1024 * 1024));
  return out;
}

std::string configure_threads(int64_t threads) {
  const int64_t cores = process_cores(threads);
  // Matrix products dominate: OpenBLAS gets the cores and LibTorch's OpenMP pool one thread. On 2
  // cores this trains 30% faster than the reverse, and both pools at 2 threads fight (-45%)
  // (bench/threads.sh, bench/RESULTS.md). ATTNLAB_INTRA_THREADS / ATTNLAB_BLAS_THREADS override.
  auto from_env = [](const char* name, int64_t fallback) {
    const char* value = std::getenv(name);
    return value ? std::max<int64_t>(1, std::atoll(value)) : fallback;
  };
  torch::set_num_threads(static_cast<int>(from_env("ATTNLAB_INTRA_THREADS", 1)));
  int blas_threads = -1;
  using SetThreads = void (*)(int);
  using GetThreads = int (*)();
  const int wanted_blas = static_cast<int>(from_env("ATTNLAB_BLAS_THREADS", cores));
  if (auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) set(wanted_blas);
  if (auto get = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"))) blas_threads = get();
  return fmt::format("intra={} inter={} blas={}", torch::get_num_threads(), torch::get_num_interop_threads(),
                     blas_threads < 0 ? std::string("n/a") : std::to_string(blas_threads));
}

std::string resolve_device(const std::string& device) {
  if (device == "cuda" && !torch::cuda::is_available()) throw UserError("device: cuda requested but no CUDA device is available");
  if (device == "auto") return torch::cuda::is_available() ? "cuda" : "cpu";
  return device;
}

}  // namespace attnlab
