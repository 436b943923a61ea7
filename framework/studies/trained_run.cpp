#include "studies/trained_run.h"

#include "config/yaml_loader.h"
#include "core/error.h"
#include "data/batcher.h"
#include "model/layer_plan.h"
#include "run/run_job.h"
#include "train/checkpoint.h"
#include "train/trainer.h"

namespace attnlab {

namespace fs = std::filesystem;

cfg::Node TrainedRun::read_config(const fs::path& dir) {
  if (!fs::is_directory(dir)) throw UserError(dir.string() + ": no such run directory");
  if (!fs::exists(dir / "config.yaml")) throw UserError(dir.string() + ": not a run directory (no config.yaml)");
  return cfg::load_yaml_file((dir / "config.yaml").string());
}

TrainedRun TrainedRun::load(const fs::path& dir, const RunConfig& config, bool allow_task) {
  const fs::path checkpoint = Trainer::checkpoint_path(dir);
  if (!fs::exists(checkpoint)) {
    throw UserError(dir.string() + ": no checkpoint (" + checkpoint.string() + "); train the run to its end first");
  }
  TrainedRun run;
  run.dir = dir;
  run.config = config;
  configure_threads(config.threads);
  run.device = resolve_device(config.device);
  ModelOptions options = config.model;
  if (!config.data.task.is_null()) {
    if (!allow_task) throw UserError(dir.string() + ": a probe-task run (data.task) has no tokenizer; generate and analyze pruning read text");
    run.task = data::make_dataset(config.data, nullptr);
    options.vocab_size = run.task->vocab_size();
  } else {
    run.data = data::TokenData::prepare(config.data);
    options.vocab_size = run.data.tokenizer->vocab_size();
  }
  run.model = TransformerLM(options, LayerPlan::from_config(config.mixer, config.hybrid, options.n_layers));
  run.step = load_checkpoint(checkpoint.string(), run.model, nullptr).step;
  run.model->to(torch::Device(run.device));
  run.model->eval();
  return run;
}

int64_t TrainedRun::seq_len() const {
  if (task && task->fixed_seq_len() > 0) return task->fixed_seq_len();  // budgets are taken of the task's L
  return config.train.seq_len > 0 ? config.train.seq_len : config.model.ctx;
}

data::EvalSet TrainedRun::eval_set(int64_t max_windows) const {
  if (!task) {
    data::EvalSet set;
    std::tie(set.x, set.y) = validation_windows(max_windows);
    return set;
  }
  data::EvalSet set = task->eval_set(seq_len(), max_windows);
  for (torch::Tensor* t : {&set.x, &set.y, &set.labels, &set.slices})
    if (t->defined()) *t = t->to(torch::Device(device));
  return set;
}

std::pair<torch::Tensor, torch::Tensor> TrainedRun::validation_windows(int64_t max_windows) const {
  auto [x, y] = data::validation_windows(data.val, seq_len(), max_windows);
  return {x.to(torch::Device(device)), y.to(torch::Device(device))};
}

}  // namespace attnlab
