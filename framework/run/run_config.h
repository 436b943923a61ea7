#pragma once
/// The typed view of one fully composed config (configs/config.yaml + groups + experiment + overrides).

#include <string>

#include "config/node.h"
#include "data/corpus.h"
#include "model/model_options.h"
#include "train/train_options.h"

namespace attnlab {

/// `distributed:` data-parallel training (train/data_parallel.h); train.batch_size stays the
/// global batch, split over the ranks.
struct DistributedOptions {
  int64_t nproc = 1;        ///< ranks per machine: `attnlab run` starts them (torchrun's --nproc-per-node)
  double timeout_s = 300;   ///< a collective waiting longer fails the run (a rank died or stalled)
};

struct RunConfig {
  ModelOptions model;
  cfg::Node mixer;               ///< the `mixer:` map, read by the mixer's factory
  cfg::Node hybrid;              ///< null or {mixer, layers}
  data::DataOptions data;
  TrainOptions train;
  EvalOptions eval;
  int64_t seed = 1337;
  std::string device = "auto";   ///< auto | cpu | cuda
  int64_t threads = 0;           ///< cores for the process (0 = all, divided among parallel jobs); see configure_threads()
  std::string out_dir = "runs";  ///< run directories go to <out_dir>/<experiment>/<timestamp>
  std::string init_from;         ///< a run directory or checkpoint whose weights start this run ("" = none)
  DistributedOptions distributed;

  /// Strict read of the root: every key known, every value typed (UserError with file:line otherwise).
  static RunConfig from_config(const cfg::Node& root);
};

}  // namespace attnlab
