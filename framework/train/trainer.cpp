#include "train/trainer.h"

#include <fmt/format.h>

#include <torch/csrc/autograd/profiler_legacy.h>

#include <chrono>
#include <cmath>
#include <optional>

#include "core/error.h"
#include "core/failpoint.h"
#include "data/batcher.h"
#include "results/run_store.h"
#include "run/run_log.h"
#include "train/autocast_scope.h"
#include "train/checkpoint.h"
#include "train/nonfinite.h"

namespace attnlab {

namespace F = torch::nn::functional;
using Clock = std::chrono::steady_clock;

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

double mean_of_defined(const std::vector<double>& values) {
  double sum = 0.0;
  int64_t n = 0;
  for (double v : values) {
    if (!std::isnan(v)) sum += v, ++n;
  }
  return n ? sum / static_cast<double>(n) : std::nan("");
}

// Every pruned layer has the same number of causal entries, so the overall share is the layers' mean.
double overall_dropped(const EvalResult& r) { return mean_of_defined(r.dropped_fraction); }
double overall_mean_keep(const EvalResult& r) { return mean_of_defined(r.mean_keep); }

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
      precision_(precision_from_name(train.precision)) {
  device_ = parameters_.front().device();
  eval_set_ = data_->eval_set(seq_len_, eval.max_windows);
  for (torch::Tensor* t : {&eval_set_.x, &eval_set_.y, &eval_set_.labels, &eval_set_.slices, &eval_set_.ar_hits})
    if (t->defined()) *t = t->to(device_);
  eval_columns_ = store_.columns(results::kEvalTable).size();  // a resumed older file has fewer
  if (!eval_set_.slice_names.empty()) {
    store_.define_table("/eval_slices", {{"step", results::ColumnType::Int64},
                                         {"split", results::ColumnType::String},
                                         {"slice", results::ColumnType::String},
                                         {"accuracy", results::ColumnType::Float64},
                                         {"answers", results::ColumnType::Int64}});
  }
  store_.define_table("/analysis/logit_scale", {{"step", results::ColumnType::Int64},
                                                {"layer", results::ColumnType::Int64},
                                                {"max_abs_score", results::ColumnType::Float64}});
}

std::filesystem::path Trainer::checkpoint_path(const std::filesystem::path& run_dir) {
  return run_dir / "checkpoint.pt";
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
  if (train_.on_nonfinite == "stop") {
    throw std::runtime_error(fmt::format("non-finite {} at step {}{}{}", what, step, where, last_checkpoint_note()));
  }
  ++skipped_steps_;
  store_.define_table("/nonfinite", {{"step", results::ColumnType::Int64},
                                     {"layer", results::ColumnType::Int64},
                                     {"what", results::ColumnType::String}});
  store_.append("/nonfinite", {step, site.layer, what + where});
  store_.set_attribute("skipped_steps", skipped_steps_);
  log_.line(fmt::format("step {:>6} | skipped: non-finite {}{} ({} skipped so far)", step, what, where, skipped_steps_));
  if (skipped_steps_ > train_.max_skipped_steps) {
    throw std::runtime_error(fmt::format("{} steps skipped for a non-finite loss or gradient (train.max_skipped_steps = {}), "
                                         "the last at step {}{}{}",
                                         skipped_steps_, train_.max_skipped_steps, step, where, last_checkpoint_note()));
  }
}

torch::Tensor Trainer::train_step(double lr, torch::Tensor& grad_norm, bool& skipped) {
  for (auto& group : optimizer_->param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
  auto [x, y] = data_->train_batch(train_.batch_size, seq_len_, seed_, step_);  // [B, T] each; y: kIgnore where not trained
  x = x.to(device_), y = y.to(device_);
  torch::Tensor loss, objective;
  {
    AutocastScope autocast(precision_, device_);
    LMOutput out = model_->forward(x);
    loss = F::cross_entropy(out.logits.reshape({-1, out.logits.size(-1)}).to(torch::kFloat32), y.reshape(-1));
    objective = out.aux_loss.defined() ? loss + out.aux_loss.to(torch::kFloat32) : loss;
  }
  optimizer_->zero_grad();
  objective.backward();
  // Global grad norm and clipping without a host sync.
  std::vector<torch::Tensor> norms;
  for (auto& p : parameters_) {
    if (p.grad().defined()) norms.push_back(p.grad().norm());
  }
  grad_norm = torch::stack(norms).norm();
  skipped = !torch::isfinite(grad_norm + objective.detach()).item<bool>();
  if (skipped) {
    on_nonfinite(x, objective.detach());  // throws unless the step is skipped
    optimizer_->zero_grad();
    return loss.detach();
  }
  if (train_.grad_clip > 0) {
    auto scale = torch::clamp_max(train_.grad_clip / (grad_norm + 1e-6), 1.0);
    for (auto& p : parameters_) {
      if (p.grad().defined()) p.grad().mul_(scale);
    }
  }
  optimizer_->step();
  return loss.detach();
}

EvalResult Trainer::run() {
  model_->train();
  EvalResult last;
  bool evaluated_last = false;
  auto interval_start = Clock::now();
  const auto run_start = Clock::now();
  int64_t interval_tokens = 0;
  int64_t interval_steps = 0;
  auto interval_loss = torch::zeros({}, torch::kFloat64).to(device_);  // summed without a host sync
  torch::Tensor last_grad_norm;  // [] of the latest step that was not skipped
  const int64_t tokens_per_step = train_.batch_size * seq_len_;
  constexpr int64_t kProfileWarmup = 5;  // steps before the profiled ones (allocator and thread pool warm)
  const int64_t profile_from = step_ + kProfileWarmup, profile_to = profile_from + train_.profile_steps;
  std::unique_ptr<torch::autograd::profiler::RecordProfile> profile;
  while (step_ < train_.steps) {
    if (train_.profile_steps > 0 && step_ == profile_from) {
      profile = std::make_unique<torch::autograd::profiler::RecordProfile>((run_dir_ / "profile.json").string());
    }
    const double lr = schedule_.at(step_);
    torch::Tensor grad_norm;
    bool skipped = false;
    torch::Tensor loss = train_step(lr, grad_norm, skipped);
    ++step_;
    failpoint("train.step");
    if (step_end_hook_) step_end_hook_(step_);
    if (profile && (step_ == profile_to || step_ == train_.steps)) {
      profile.reset();  // writes the trace
      log_.line(fmt::format("profiled steps {}..{} into {}", profile_from + 1, step_, (run_dir_ / "profile.json").string()));
    }
    tokens_ += tokens_per_step;
    interval_tokens += tokens_per_step;
    if (!skipped) {
      interval_loss += loss.to(torch::kFloat64);
      ++interval_steps;
      last_grad_norm = grad_norm;
    }
    evaluated_last = false;

    const bool checkpoint_due = train_.checkpoint_every > 0 && step_ % train_.checkpoint_every == 0 && step_ < train_.steps;
    // A checkpoint step always ends a logging interval: a resumed run's rows then average the same steps.
    if (step_ % train_.log_every == 0 || step_ == train_.steps || checkpoint_due) {
      // NaN when every step of the interval was skipped (on_nonfinite=skip)
      const double loss_value = interval_steps ? interval_loss.item<double>() / static_cast<double>(interval_steps)
                                               : std::nan("");
      const double seconds = std::chrono::duration<double>(Clock::now() - interval_start).count();
      const double tokens_per_s = interval_tokens / std::max(seconds, 1e-9);
      const double wall = std::chrono::duration<double>(Clock::now() - run_start).count();
      const double grad_norm_value = last_grad_norm.defined() ? last_grad_norm.item<double>() : std::nan("");
      store_.append("/train", {step_, tokens_, loss_value, lr, grad_norm_value, tokens_per_s, wall});
      const double eta = (train_.steps - step_) * tokens_per_step / std::max(tokens_per_s, 1e-9);
      log_.progress(fmt::format("step {:>6}/{} | loss {:.4f} | lr {:.2e} | {:>7.0f} tok/s | ETA {}", step_, train_.steps,
                                loss_value, lr, tokens_per_s, format_duration(eta)));
      interval_start = Clock::now();
      interval_tokens = 0;
      interval_steps = 0;
      interval_loss.zero_();
    }
    if (step_ % train_.eval_every == 0 || step_ == train_.steps) {
      last = evaluate_and_record();
      evaluated_last = true;
      interval_start = Clock::now();  // evaluation time is not training throughput
    }
    if (checkpoint_due) {
      save(train_.keep_checkpoints ? run_dir_ / fmt::format("checkpoint_{:07d}.pt", step_) : checkpoint_path(run_dir_));
    }
  }
  if (!evaluated_last) last = evaluate_and_record();
  save(checkpoint_path(run_dir_));
  return last;
}

EvalResult Trainer::evaluate_and_record() {
  EvalResult r = evaluate_set(model_, eval_set_, eval_.batch_size);
  record_eval("val", r);
  for (size_t layer = 0; layer < r.max_abs_score.size(); ++layer) {
    if (!std::isnan(r.max_abs_score[layer])) {
      store_.append("/analysis/logit_scale", {step_, static_cast<int64_t>(layer), r.max_abs_score[layer]});
    }
  }
  if (r.has_sparsity()) record_sparsity(r);
  std::optional<EvalResult> skipped;
  if (eval_.skip_layers == "nonstandard" && model_->plan().is_hybrid()) {
    // The paper's "Skip": the same hybrid with its non-standard layers bypassed, as a second row.
    ForwardOptions skip;
    skip.skip_layers = nonstandard_layers(model_);
    skipped = evaluate_set(model_, eval_set_, eval_.batch_size, skip);
    record_eval("val_skip", *skipped);
  }
  store_.flush();  // before the log line: a logged eval is always on disk
  log_.line(fmt::format("eval step {:>6} | val loss {:.4f} | ppl {:.3f} | bpc {:.4f}{}", step_, r.loss, r.ppl, r.bpc,
                        std::isnan(r.accuracy) ? "" : fmt::format(" | accuracy {:.4f}", r.accuracy)));
  if (r.has_sparsity()) {
    log_.line(fmt::format("eval step {:>6} | context pruned {:.1f}% (mean keep {:.3f})", step_,
                          100.0 * overall_dropped(r), overall_mean_keep(r)));
  }
  if (skipped) {
    log_.line(fmt::format("eval step {:>6} | val_skip loss {:.4f} | ppl {:.3f} | bpc {:.4f}{}", step_, skipped->loss,
                          skipped->ppl, skipped->bpc,
                          std::isnan(skipped->accuracy) ? "" : fmt::format(" | accuracy {:.4f}", skipped->accuracy)));
  }
  return r;
}

void Trainer::record_eval(const std::string& split, const EvalResult& r) {
  std::vector<results::Value> row = {step_,         split,         r.loss,       r.ppl,       r.bpc,
                                     r.accuracy,    r.answer_loss, r.ar_hit_loss, r.other_loss, r.ar_hit_share};
  row.resize(eval_columns_);
  store_.append(results::kEvalTable, row);
  for (size_t s = 0; s < r.slice_accuracy.size(); ++s) {
    store_.append("/eval_slices", {step_, split, eval_set_.slice_names[s], r.slice_accuracy[s], r.slice_answers[s]});
  }
}

void Trainer::record_sparsity(const EvalResult& r) {
  store_.define_table("/sparsity", {{"step", results::ColumnType::Int64},
                                    {"layer", results::ColumnType::Int64},
                                    {"dropped_fraction", results::ColumnType::Float64},
                                    {"mean_keep", results::ColumnType::Float64}});
  for (size_t layer = 0; layer < r.dropped_fraction.size(); ++layer) {
    if (std::isnan(r.dropped_fraction[layer])) continue;
    store_.append("/sparsity", {step_, static_cast<int64_t>(layer), r.dropped_fraction[layer], r.mean_keep[layer]});
  }
  store_.append("/sparsity", {step_, kAllLayers, overall_dropped(r), overall_mean_keep(r)});
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
