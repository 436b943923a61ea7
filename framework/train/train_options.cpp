#include "train/train_options.h"

#include "config/map_reader.h"

namespace attnlab {

namespace {

void require(bool ok, const cfg::MapReader& r, const std::string& key, const std::string& what) {
  if (ok) return;
  const cfg::Node* value = r.node().find(key);
  cfg::fail_at(value ? value->source() : r.node().source(), r.key_path(key) + ": " + what);
}

}  // namespace

TrainOptions TrainOptions::from_config(const cfg::Node& node) {
  TrainOptions o;
  cfg::MapReader r(node, "train");
  o.steps = r.integer("steps", o.steps);
  o.batch_size = r.integer("batch_size", o.batch_size);
  o.grad_accum = r.integer("grad_accum", o.grad_accum);
  o.seq_len = r.integer("seq_len", o.seq_len);
  o.lr = r.number("lr", o.lr);
  o.min_lr = r.number("min_lr", o.min_lr);
  o.warmup_steps = r.integer("warmup_steps", o.warmup_steps);
  o.weight_decay = r.number("weight_decay", o.weight_decay);
  o.beta1 = r.number("beta1", o.beta1);
  o.beta2 = r.number("beta2", o.beta2);
  o.eps = r.number("eps", o.eps);
  o.grad_clip = r.number("grad_clip", o.grad_clip);
  o.eval_every = r.integer("eval_every", o.eval_every);
  o.log_every = r.integer("log_every", o.log_every);
  o.checkpoint_every = r.integer("checkpoint_every", o.checkpoint_every);
  o.keep_checkpoints = r.boolean("keep_checkpoints", o.keep_checkpoints);
  o.trainable = r.choice("trainable", o.trainable, {"all", "new"});
  o.profile_steps = r.integer("profile_steps", o.profile_steps);
  o.precision = r.choice("precision", o.precision, {"fp32", "bf16"});
  o.on_nonfinite = r.choice("on_nonfinite", "stop", {"stop", "skip"}) == "skip" ? NonfinitePolicy::Skip : NonfinitePolicy::Stop;
  o.max_skipped_steps = r.integer("max_skipped_steps", o.max_skipped_steps);
  r.finish();
  require(o.steps >= 0, r, "steps", "must be >= 0");
  require(o.batch_size >= 1, r, "batch_size", "must be >= 1");
  require(o.grad_accum >= 1 && o.batch_size % o.grad_accum == 0, r, "grad_accum",
          "must be >= 1 and divide train.batch_size (" + std::to_string(o.batch_size) + ") into equal micro-batches");
  require(o.seq_len >= 0, r, "seq_len", "must be >= 0 (0 = model.ctx)");
  require(o.lr > 0, r, "lr", "must be positive");
  require(o.min_lr >= 0 && o.min_lr <= o.lr, r, "min_lr", "must be in [0, lr]");
  require(o.warmup_steps >= 0, r, "warmup_steps", "must be >= 0");
  require(o.beta1 >= 0 && o.beta1 < 1, r, "beta1", "must be in [0, 1)");
  require(o.beta2 >= 0 && o.beta2 < 1, r, "beta2", "must be in [0, 1)");
  require(o.grad_clip >= 0, r, "grad_clip", "must be >= 0");
  require(o.eval_every >= 1, r, "eval_every", "must be >= 1");
  require(o.log_every >= 1, r, "log_every", "must be >= 1");
  require(o.checkpoint_every >= 0, r, "checkpoint_every", "must be >= 0");
  require(o.profile_steps >= 0, r, "profile_steps", "must be >= 0 (0 = off)");
  require(o.max_skipped_steps >= 0, r, "max_skipped_steps", "must be >= 0");
  return o;
}

EvalOptions EvalOptions::from_config(const cfg::Node& node) {
  EvalOptions o;
  cfg::MapReader r(node, "eval");
  o.max_windows = r.integer("max_windows", o.max_windows);
  o.batch_size = r.integer("batch_size", o.batch_size);
  o.skip_layers = r.choice("skip_layers", o.skip_layers, {"none", "nonstandard"});
  r.finish();
  require(o.max_windows >= 1, r, "max_windows", "must be >= 1");
  require(o.batch_size >= 1, r, "batch_size", "must be >= 1");
  return o;
}

}  // namespace attnlab
