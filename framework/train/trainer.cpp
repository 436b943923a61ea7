#include "train/trainer.h"

#include <fmt/format.h>

#include <cmath>
#include <optional>

#include "core/error.h"
#include "core/failpoint.h"
#include "data/batcher.h"
#include "results/run_store.h"
#include "run/run_log.h"
#include "train/autocast_scope.h"
#include "train/checkpoint.h"
#include "train/grad_accum.h"
#include "train/nonfinite.h"
#include "train/step_profiler.h"
#include "train/train_meter.h"

namespace attnlab {

using results::ColumnType;

namespace {

/// AdamW with weight decay on matrices only (norm gains and other vectors are not decayed).
std::unique_ptr<torch::optim::AdamW> make_optimizer(TransformerLM& model, const TrainOptions& o) {
  std::vector<torch::Tensor> decay, no_decay;
  for (auto& p : model->parameters()) {
    if (p.requires_grad()) (p.dim() >= 2 ? decay : no_decay).push_back(p);  // frozen ones (trainable: new) are left out
  }
  auto options = [&](double weight_decay) {
    return std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(o.lr)
                                                            .betas({o.beta1, o.beta2})
                                                            .eps(o.eps)
                                                            .weight_decay(weight_decay));
  };
  std::vector<torch::optim::OptimizerParamGroup> groups;
  if (!decay.empty()) groups.emplace_back(decay, options(o.weight_decay));
  if (!no_decay.empty()) groups.emplace_back(no_decay, options(0.0));
  return std::make_unique<torch::optim::AdamW>(std::move(groups), torch::optim::AdamWOptions(o.lr));
}

std::vector<torch::Tensor> trainable_parameters(TransformerLM& model) {
  std::vector<torch::Tensor> out;
  for (auto& p : model->parameters()) {
    if (p.requires_grad()) out.push_back(p);
  }
  return out;
}

}  // namespace

Trainer::Trainer(TransformerLM model, const data::TokenData& data, TrainOptions train, EvalOptions eval, uint64_t seed,
                 std::filesystem::path run_dir, results::RunStore& store, RunLog& log, std::string config_yaml)
    : Trainer(std::move(model), data::text_dataset(data), train, eval, seed, std::move(run_dir), store, log,
              std::move(config_yaml)) {}

Trainer::Trainer(TransformerLM model, std::shared_ptr<const data::Dataset> data, TrainOptions train, EvalOptions eval,
                 uint64_t seed, std::filesystem::path run_dir, results::RunStore& store, RunLog& log,
                 std::string config_yaml)
    : model_(std::move(model)),
      data_(std::move(data)),
      train_(train),
      eval_(eval),
      seed_(seed),
      run_dir_(std::move(run_dir)),
      store_(store),
      log_(log),
      config_yaml_(std::move(config_yaml)),
      seq_len_(data_->fixed_seq_len() > 0 ? data_->fixed_seq_len()
                                           : train.seq_len > 0 ? train.seq_len : model_->options().ctx),
      schedule_{train.lr, train.min_lr, train.warmup_steps, train.steps},
      optimizer_(make_optimizer(model_, train)),
      parameters_(trainable_parameters(model_)),
      precision_(precision_from_name(train.precision)),
      device_(parameters_.front().device()),
      eval_set_(data_->eval_set(seq_len_, eval.max_windows)),
      recorder_(store, log, eval_set_.slice_names) {
  for (torch::Tensor* t : {&eval_set_.x, &eval_set_.y, &eval_set_.labels, &eval_set_.slices, &eval_set_.ar_hits})
    if (t->defined()) *t = t->to(device_);
}

std::filesystem::path Trainer::checkpoint_path(const std::filesystem::path& run_dir) {
  return run_dir / "checkpoint.pt";
}

void Trainer::set_data_parallel(std::shared_ptr<DataParallel> group) {
  group_ = std::move(group);
  reducer_ = group_ ? std::make_unique<GradientReducer>(*group_, parameters_) : nullptr;
}

void Trainer::resume_from(const std::string& checkpoint) {
  CheckpointMeta meta = load_checkpoint(checkpoint, model_, optimizer_.get());
  step_ = meta.step;
  tokens_ = meta.tokens;
  last_checkpoint_ = checkpoint;
  last_checkpoint_step_ = step_;
  // Rows a killed process logged after this checkpoint are redone, not duplicated.
  if (const size_t dropped = store_.discard_rows_after(step_)) {
    log_.line(fmt::format("resume   dropped {} run.h5 rows logged after step {} (they are recomputed)", dropped, step_));
  }
  if (const auto skipped = store_.attribute("skipped_steps")) skipped_steps_ = std::get<int64_t>(*skipped);
}

std::string Trainer::last_checkpoint_note() const {
  if (last_checkpoint_.empty()) return "; no checkpoint was written yet";
  return fmt::format("; the last good checkpoint is {} (step {})", last_checkpoint_.string(), last_checkpoint_step_);
}

void Trainer::on_nonfinite(const torch::Tensor& x, const torch::Tensor& objective) {
  const bool loss_finite = torch::isfinite(objective).item<bool>();
  const NonfiniteSite site = loss_finite ? locate_nonfinite_gradient(model_) : locate_nonfinite_forward(model_, x);
  const double value = objective.item<double>();
  const std::string what = loss_finite ? "gradient" : fmt::format("loss ({})", std::isnan(value) ? "nan" : fmt::format("{}", value));
  const std::string where = site.where.empty() ? "" : ", first in " + site.where;
  const int64_t step = step_ + 1;
  if (train_.on_nonfinite == NonfinitePolicy::Stop) {
    throw std::runtime_error(fmt::format("non-finite {} at step {}{}{}", what, step, where, last_checkpoint_note()));
  }
  ++skipped_steps_;
  store_.define_table(results::kNonfiniteTable,
                      {{"step", ColumnType::Int64}, {"layer", ColumnType::Int64}, {"what", ColumnType::String}});
  store_.append(results::kNonfiniteTable, {step, site.layer, what + where});
  store_.set_attribute("skipped_steps", skipped_steps_);
  log_.line(fmt::format("step {:>6} | skipped: non-finite {}{} ({} skipped so far)", step, what, where, skipped_steps_));
  if (skipped_steps_ > train_.max_skipped_steps) {
    throw std::runtime_error(fmt::format("{} steps skipped for a non-finite loss or gradient (train.max_skipped_steps = {}), "
                                         "the last at step {}{}{}",
                                         skipped_steps_, train_.max_skipped_steps, step, where, last_checkpoint_note()));
  }
}

Trainer::StepResult Trainer::train_step(double lr) {
  for (auto& group : optimizer_->param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
  auto [x, y] = data_->train_batch(train_.batch_size, seq_len_, seed_, step_);  // [B, T] each; y: kIgnore where not trained
  x = x.to(device_), y = y.to(device_);
  const Shard shard = group_ ? Shard{group_->rank(), group_->world()} : Shard{};
  auto [loss, objective] = forward_backward(model_, x, y, train_.grad_accum, precision_, device_, shard, reducer_.get());
  if (group_) {  // each rank holds its share of the batch's loss and gradients: sum them
    reducer_->finish();
    std::vector<torch::Tensor> shared{torch::stack({loss.detach(), objective.detach()})};
    group_->all_reduce_sum(shared);
    loss = shared[0][0], objective = shared[0][1];
  }
  // Global grad norm and clipping without a host sync.
  std::vector<torch::Tensor> norms;
  for (auto& p : parameters_) {
    if (p.grad().defined()) norms.push_back(p.grad().norm());
  }
  StepResult result{loss.detach(), torch::stack(norms).norm()};
  result.skipped = !torch::isfinite(result.grad_norm + objective.detach()).item<bool>();
  if (result.skipped) {
    on_nonfinite(x, objective.detach());  // throws unless the step is skipped
    optimizer_->zero_grad();
    return result;
  }
  if (train_.grad_clip > 0) {
    auto scale = torch::clamp_max(train_.grad_clip / (result.grad_norm + 1e-6), 1.0);
    for (auto& p : parameters_) {
      if (p.grad().defined()) p.grad().mul_(scale);
    }
  }
  optimizer_->step();
  return result;
}

EvalResult Trainer::run() {
  model_->train();
  if (group_) {  // every rank starts from rank 0's weights (a fresh init or the checkpoint all loaded)
    std::vector<torch::Tensor> state = model_->parameters();
    for (const auto& b : model_->buffers()) state.push_back(b);
    group_->broadcast(state);
  }
  const int64_t tokens_per_step = train_.batch_size * seq_len_;
  TrainMeter meter(store_, log_, train_.steps, tokens_per_step, device_);
  StepProfiler profiler(train_.profile_steps, step_, run_dir_ / "profile.json", log_);
  EvalResult last;
  bool evaluated_last = false;
  while (step_ < train_.steps) {
    profiler.before_step(step_);
    const double lr = schedule_.at(step_);
    const StepResult s = train_step(lr);
    ++step_;
    tokens_ += tokens_per_step;
    failpoint("train.step");
    if (step_end_hook_) step_end_hook_(step_);
    profiler.after_step(step_, train_.steps);
    meter.add(s.loss, s.grad_norm, s.skipped);

    const bool last_step = step_ == train_.steps;
    const bool checkpoint_due = train_.checkpoint_every > 0 && step_ % train_.checkpoint_every == 0 && !last_step;
    // A checkpoint step always ends a logging interval: a resumed run's rows then average the same steps.
    if (step_ % train_.log_every == 0 || last_step || checkpoint_due) meter.write_row(step_, tokens_, lr);
    evaluated_last = step_ % train_.eval_every == 0 || last_step;
    if (evaluated_last && writes()) {
      last = evaluate_and_record();
      meter.restart_clock();  // evaluation time is not training throughput
    }
    if (checkpoint_due && writes()) {
      save(train_.keep_checkpoints ? run_dir_ / fmt::format("checkpoint_{:07d}.pt", step_) : checkpoint_path(run_dir_));
    }
  }
  if (!writes()) return last;
  if (!evaluated_last) last = evaluate_and_record();
  save(checkpoint_path(run_dir_));
  return last;
}

EvalResult Trainer::evaluate_and_record() {
  const EvalResult r = evaluate_set(model_, eval_set_, eval_.batch_size);
  std::optional<EvalResult> skipped;
  if (eval_.skip_layers == "nonstandard" && model_->plan().is_hybrid()) {
    // The paper's "Skip": the same hybrid with its non-standard layers bypassed, as a second row.
    ForwardOptions skip;
    skip.skip_layers = nonstandard_layers(model_);
    skipped = evaluate_set(model_, eval_set_, eval_.batch_size, skip);
  }
  recorder_.record(step_, r, skipped ? &*skipped : nullptr);
  return r;
}

void Trainer::save(const std::filesystem::path& path) {
  // Never replace a good checkpoint with non-finite weights (an update that overflowed).
  if (const NonfiniteSite site = locate_nonfinite_parameter(model_); !site.where.empty()) {
    throw std::runtime_error(fmt::format("non-finite weights after step {}, first in {}; checkpoint not written{}", step_,
                                         site.where, last_checkpoint_note()));
  }
  // Rows up to this step reach run.h5 before the checkpoint exists: a resume from it never redoes them.
  failpoint("rows.flush.before");
  store_.flush();
  failpoint("rows.flush.after");
  save_checkpoint(path.string(), model_, optimizer_.get(), {step_, tokens_, config_yaml_});
  failpoint("checkpoint.renamed");
  last_checkpoint_ = path;
  last_checkpoint_step_ = step_;
}

}  // namespace attnlab
