#pragma once
/// `launcher=slurm`: a sweep becomes ONE Slurm job array, one array task per job.
///
/// The array index of a task is the job's position in index.yaml. A task runs
/// `attnlab run --sweep-task <sweep dir>` (slurm/task.sh), which becomes exactly the process the
/// local launcher would start for that job (SweepDir::job_arguments(): a fresh run, or
/// `train --resume` from the job's checkpoint). The submitting `attnlab run` records every job's
/// Slurm id ("1234_2") in index.yaml, then polls the array (scontrol, then sacct for tasks the
/// controller forgot, then the run's own run.h5) every `poll_s` seconds, keeps the statuses
/// current, and prints the summary when every task has ended. Ctrl-C while it waits cancels the
/// array (scancel) and records the cancelled jobs.
///
/// `attnlab run --resume <sweep dir>` submits a new array of just the indices not completed; jobs
/// of an earlier array that completed after the submitting process died are recognised (not
/// rerun), and a sweep whose earlier array still runs is refused.

#include <filesystem>
#include <string>
#include <vector>

#include "run/sweep_launcher.h"

namespace attnlab {

/// The `launcher:` section of configs/launcher/slurm.yaml.
struct SlurmOptions {
  std::string partition;                 ///< --partition ("" = the cluster's default partition)
  std::string time;                      ///< --time per task, e.g. "04:00:00" ("" = the partition's default)
  int64_t cpus_per_task = 1;             ///< --cpus-per-task; a job's `threads: 0` uses them all
  int64_t gpus = 0;                      ///< --gres=gpu:N per task (0 = none)
  int64_t nodes = 1;                     ///< --nodes of a data-parallel job (distributed.nproc ranks on each)
  std::string mem;                       ///< --mem per task, e.g. "8G" ("" = the partition's default)
  std::string job_name;                  ///< --job-name ("" = attnlab-<experiment>)
  std::vector<std::string> sbatch_args;  ///< more sbatch arguments, verbatim: [--account=lab, --qos=short]
  double poll_s = 10;                    ///< seconds between two looks at the array's state

  /// Strict read of the section (`name: slurm` and the keys above; UserError with file:line).
  static SlurmOptions from_config(const cfg::Node& section);
};

/// One sbatch call: which tasks, and where their output goes.
struct ArraySubmission {
  std::vector<int> indices;  ///< array task indices = the jobs' positions in index.yaml
  int throttle = 0;          ///< at most this many tasks at once (%K; 0 = no limit): `-j`
  std::string job_name;      ///< --job-name
  std::string output;        ///< --output pattern (%A array job id, %a task index)
  std::string script;        ///< the batch script
  int64_t nodes = 1;           ///< --nodes: machines per array task
  int64_t ranks_per_node = 1;  ///< --ntasks-per-node: the jobs' distributed.nproc (> 1 or nodes > 1: srun starts ranks)
  bool distributed() const { return nodes * ranks_per_node > 1; }
};

namespace slurm {

/// Sorted, unique `indices` as Slurm's --array list: {0,1,2,3} → "0-3", {1,4,5,6,9} → "1,4-6,9".
std::string format_array_indices(std::vector<int> indices);

/// `sbatch --parsable --array=<list>[%K] --job-name=... --output=... [options] <script>`.
std::vector<std::string> sbatch_command(const SlurmOptions& options, const ArraySubmission& submission);

/// The job id `sbatch --parsable` printed ("1234" or "1234;cluster"); UserError when there is none.
std::string parse_sbatch_job_id(const std::string& out);

/// The batch script of a sweep's tasks: `exec '<exe>' run --sweep-task '<sweep dir>'`; for a
/// data-parallel job, `srun` starts that on every task, with MASTER_ADDR (the first node),
/// MASTER_PORT (from the job id) and ATTNLAB_SLURM_RANKS=1 (ranks from $SLURM_PROCID).
std::string batch_script(const std::string& exe, const std::string& sweep_dir, bool distributed = false);

/// The job `index` of a sweep's index.yaml (an array task's job); UserError when out of range.
const SweepJob& task_job(const SweepDir& sweep, int index);

}  // namespace slurm

class SlurmLauncher : public SweepLauncher {
 public:
  explicit SlurmLauncher(SlurmOptions options);

  /// sbatch and scontrol must be on $PATH.
  void check() const override;

  int operator()(SweepDir& sweep, int parallel) override;

 private:
  SlurmOptions options_;
};

/// The body of an array task (`attnlab run --sweep-task <sweep dir>`): replaces this process with
/// `attnlab <SweepDir::job_arguments()>` for job $SLURM_ARRAY_TASK_ID of the sweep, with
/// $ATTNLAB_THREADS = $SLURM_CPUS_PER_TASK. Returns only by throwing (UserError: no task id,
/// index out of range).
[[noreturn]] void run_array_task(const std::filesystem::path& sweep_dir);

}  // namespace attnlab
