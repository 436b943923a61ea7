#pragma once
/// Turns a command line into runs: compose the config, expand sweeps, make run directories,
/// run a single job in-process or hand a sweep's jobs to its launcher (run/sweep_launcher.h:
/// child processes here, or a Slurm job array), which keeps the sweep's index (status of every
/// job); resume what did not complete.
///
/// Layout: <out_dir>/<experiment>/<timestamp>/ for one run; for a sweep the same folder holds
/// sweep.yaml (how to recompose every job), index.yaml (name, dir, overrides, status, error per
/// job), jobs/<job dir>.yaml (every job's config, composed when the sweep was launched) and one
/// sub-directory per job named from its swept overrides ("mixer=taylor,seed=1"). A job runs the
/// config composed at launch, so editing configs/ while a sweep runs changes none of its jobs.
/// With a launcher other than local (`launcher=slurm`) a single run is a sweep of one job, "run".

#include <filesystem>
#include <string>
#include <vector>

#include "run/run_config.h"

namespace attnlab {

struct LaunchRequest {
  std::string config_dir;              ///< holds config.yaml and the group folders
  std::string experiment_file;         ///< experiments/x.yaml, or "" for config.yaml alone
  std::vector<std::string> overrides;  ///< command-line overrides (sweep values allowed with multirun)
  bool multirun = false;               ///< -m: comma lists and range() become sweep axes
  int jobs = 0;                        ///< -j: a sweep's jobs at once (0 = not given: 1 locally, no Slurm limit)
  bool print_config = false;           ///< --cfg: print the resolved config and exit
  bool dry_run = false;                ///< --dry-run: list the jobs and exit
  std::string run_dir;                 ///< exec mode: run exactly here (a sweep's child)
  std::string resolved_config;         ///< exec mode: the job's config composed at launch ("" = compose now)
};

/// Runs the request; returns the process exit code (0 all completed, 1 some job failed).
/// Composition errors are UserErrors thrown before anything is written.
int launch(const LaunchRequest& request);

/// Resumes a run directory (from its checkpoint) or a sweep directory (jobs not completed, through
/// the launcher recorded in its sweep.yaml; `jobs` as LaunchRequest::jobs).
int resume(const std::filesystem::path& dir, int jobs);

/// The typed config of one run from an experiment file and overrides (no sweep values).
RunConfig compose_run_config(const std::string& config_dir, const std::string& experiment_file,
                             const std::vector<std::string>& overrides);

/// Where configs/ is: $ATTNLAB_CONFIG_DIR, ./configs, <exe>/../share/attnlab/configs, or the source tree's.
std::string default_config_dir();

}  // namespace attnlab
