#pragma once
/// Options of the `train:` and `eval:` config groups (presets in configs/train/, configs/eval/).

#include <cstdint>
#include <string>

namespace attnlab {

namespace cfg {
class Node;
}

/// train.on_nonfinite: what a NaN/Inf loss or gradient does.
enum class NonfinitePolicy {
  Stop,  ///< fails the run, naming the step and the layer; the last good checkpoint is kept
  Skip,  ///< drops that step's update and counts it in run.h5 /nonfinite (up to max_skipped_steps)
};

struct TrainOptions {
  int64_t steps = 2000;           ///< optimizer steps
  int64_t batch_size = 16;        ///< sequences per step
  int64_t grad_accum = 1;         ///< micro-batches the step's batch_size sequences are split into (memory, not maths)
  int64_t seq_len = 0;            ///< tokens per sequence; 0 = model.ctx
  double lr = 1e-3;               ///< peak learning rate
  double min_lr = 1e-4;           ///< cosine floor
  int64_t warmup_steps = 100;     ///< linear warm-up from 0 to lr
  double weight_decay = 0.1;      ///< AdamW, on matrices only (not norms)
  double beta1 = 0.9;
  double beta2 = 0.95;
  double eps = 1e-8;
  double grad_clip = 1.0;         ///< max global grad norm; 0 = off
  int64_t eval_every = 250;       ///< steps between validation passes (and HDF5 flushes)
  int64_t log_every = 10;         ///< steps between /train rows (the loss is synced only then)
  int64_t checkpoint_every = 0;   ///< steps between checkpoints; 0 = only at the end
  bool keep_checkpoints = false;  ///< keep every checkpoint, not only the latest
  int64_t profile_steps = 0;      ///< >0: LibTorch's profiler records this many steps after 5 warm-up steps into <run dir>/profile.json (bench/profile_summary.py reads it)
  std::string precision = "fp32";  ///< fp32 | bf16: autocast of the forward pass (train/autocast_scope.h)
  std::string trainable = "all";  ///< all | new: with init_from, train only the parameters the checkpoint lacked (e.g. DCP's interaction)
  NonfinitePolicy on_nonfinite = NonfinitePolicy::Stop;  ///< stop | skip
  int64_t max_skipped_steps = 10;     ///< on_nonfinite=skip: the run fails when more steps than this were skipped

  static TrainOptions from_config(const cfg::Node& node);
};

struct EvalOptions {
  int64_t max_windows = 64;          ///< fixed validation windows (seq_len tokens each), evenly spaced
  int64_t batch_size = 16;
  std::string skip_layers = "none";  ///< none | nonstandard: a hybrid also logs split "val_skip", evaluated without its non-standard layers (the paper's "Skip")

  static EvalOptions from_config(const cfg::Node& node);
};

}  // namespace attnlab
