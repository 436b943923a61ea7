#pragma once
/// Loading run files for analysis: find every run.h5 below some directories and read what the
/// report needs once (status, flattened config, final validation numbers, throughput).

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analysis/flatten.h"
#include "results/run_reader.h"

namespace attnlab::analysis {

/// One validation evaluation (an /eval row with split "val").
struct EvalPoint {
  int64_t step = 0;
  double loss = 0;
  double ppl = 0;
  double bpc = 0;
  double accuracy = std::numeric_limits<double>::quiet_NaN();  ///< probe tasks: accuracy at the scored positions
  double ar_hit_ppl = std::numeric_limits<double>::quiet_NaN();    ///< text: exp(loss on AR-hit tokens)
  double other_ppl = std::numeric_limits<double>::quiet_NaN();     ///< text: exp(loss on the other tokens)
  double ar_hit_share = std::numeric_limits<double>::quiet_NaN();  ///< text: AR-hit tokens / tokens
};

/// A run file, opened, with the numbers every table needs. `reader` stays open for table
/// builders that need other tables (/eval_budget, /sparsity, /analysis/...).
struct LoadedRun {
  std::string path;                               ///< the run.h5 file
  std::string dir;                                ///< its directory
  std::shared_ptr<results::RunReader> reader;
  std::string status;                             ///< running | completed | failed
  std::string error;                              ///< the failure message when failed
  int64_t seed = 0;
  int64_t n_params = 0;
  FlatConfig config;                              ///< config_yaml flattened to dotted keys, plus `group` -> option
                                                  ///< for every group chosen by an override (mixer=approximate)
  std::vector<EvalPoint> val;                     ///< validation curve, in file order
  std::optional<EvalPoint> final_val;             ///< the last validation row
  double tokens_per_s = 0;                        ///< median of /train tokens_per_s (NaN if no rows)
  std::vector<std::string> gaps;                  ///< "/train: no rows for steps 110-150": logged steps missing
};

/// The multiples of `every` up to the last of `steps` (ascending) that `steps` lacks, as ranges
/// "110-150, 170" (empty when none or every <= 0). Extra steps (checkpoints, the last step) are fine.
std::string missing_steps(const std::vector<int64_t>& steps, int64_t every);

/// The last /eval value of `column` in rows of `split` (val_skip, ...); NaN when the run has no such
/// row or column (a file from before the column existed).
double final_split_value(const LoadedRun& run, const std::string& split, const std::string& column);

/// Every run.h5 below the given directories (recursively, sorted), or the paths themselves when they
/// are files. UserError for a path that does not exist.
std::vector<std::string> find_run_files(const std::vector<std::string>& paths);

/// Loads one run file; attnlab::UserError (one line) when it cannot be read.
LoadedRun load_run(const std::string& path);

/// Runs that loaded, and one line per file that did not.
struct RunSet {
  std::vector<LoadedRun> runs;
  std::vector<std::string> warnings;
  /// One line per loaded run whose tables miss logged steps (an older run.h5 that a crash and
  /// resume left with a hole): the report names them instead of drawing across the gap.
  std::vector<std::string> gap_warnings;
};

/// Finds and loads the runs below `paths`. UserError when there are no run files at all, or when
/// none of them could be read (the message lists why).
RunSet load_runs(const std::vector<std::string>& paths);

}  // namespace attnlab::analysis
