#pragma once
/// A sweep directory on disk: what every launcher reads and keeps current.
///
///   sweep.yaml        how to recompose every job (config dir, experiment file) and the `launcher:`
///                     section the sweep was launched with (absent in older sweeps: local)
///   index.yaml        one entry per job, in launch order: name, dir, overrides, status
///                     (pending | running | completed | failed), error, and slurm_job_id
///                     ("<array job id>_<index>") for jobs a Slurm launcher submitted
///   jobs/<dir>.yaml   each job's config, composed when the sweep was launched
///   <dir>/            each job's run directory
///
/// A job's position in index.yaml never changes: it is the job's number (and its Slurm array index).

#include <filesystem>
#include <string>
#include <vector>

#include "config/node.h"

namespace attnlab {

/// One job of a sweep and its state in index.yaml.
struct SweepJob {
  std::string name;                    ///< "mixer=taylor,seed=1"
  std::string dir;                     ///< its run directory, relative to the sweep directory
  std::vector<std::string> overrides;  ///< the overrides that compose it
  std::string status = "pending";      ///< pending | running | completed | failed
  std::string error;                   ///< one line, for failed jobs
  std::string slurm_job_id;            ///< "1234_2" once submitted to Slurm; "" otherwise

  /// Not yet run (or to be rerun): neither completed nor failed.
  bool pending() const { return status != "completed" && status != "failed"; }
};

struct SweepDir {
  std::filesystem::path dir;
  std::string config_dir;       ///< absolute once saved
  std::string experiment_file;  ///< absolute once saved; "" for config.yaml alone
  cfg::Node launcher;           ///< the `launcher:` config section (Null = local)
  std::vector<SweepJob> jobs;

  /// Reads sweep.yaml and index.yaml of `dir` (UserError with file:line when malformed).
  static SweepDir load(const std::filesystem::path& dir);

  /// Writes sweep.yaml (atomically).
  void save_spec() const;
  /// Writes index.yaml (atomically: readers, e.g. a running Slurm array task, never see half of it).
  void save_index() const;

  /// jobs/<job dir>.yaml: the job's config as composed at launch.
  std::filesystem::path resolved_config(const SweepJob& job) const;
  std::filesystem::path run_dir(const SweepJob& job) const { return dir / job.dir; }

  /// The `attnlab` arguments that run `job` as launched: `train --resume <run dir>` when the run
  /// directory holds a checkpoint and run.h5, else `run --run-dir <run dir> --config-dir ...
  /// --resolved-config jobs/<dir>.yaml <overrides>`; for such a fresh start a leftover run
  /// directory is removed first. Every launcher runs a job with exactly these arguments.
  std::vector<std::string> job_arguments(const SweepJob& job) const;

  /// Marks `job` failed with `error`; when the process died without recording its end (killed,
  /// cancelled, out of time) its run.h5, still `running`, is marked failed too.
  void fail_job(SweepJob& job, const std::string& error, bool process_died) const;

  /// The first line of the job's error.txt (written by a job that failed with an exception), or "".
  std::string job_error_file(const SweepJob& job) const;

  /// Prints "sweep DIR:" and one line per job (status, name, error); returns 0 when every job
  /// completed, else 1.
  int print_summary() const;
};

}  // namespace attnlab
