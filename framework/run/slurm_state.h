#pragma once
/// The state of a Slurm job array's tasks as Slurm's own tools print it, and what index.yaml
/// records for a task that ended. Pure text handling: no Slurm needed (unit-tested).
///
/// Two sources, read in this order by the Slurm launcher:
///   `scontrol -o show job <id>`  the controller's live records (no accounting database needed);
///                                 an ended task stays there for MinJobAge (default 300 s)
///   `sacct -n -P -X -j <id> -o JobID,State,ExitCode`  the accounting database (slurmdbd), for
///                                 tasks the controller has already forgotten

#include <map>
#include <string>
#include <vector>

namespace attnlab::slurm {

/// One array task as Slurm reports it.
struct TaskState {
  std::string state;    ///< JobState: PENDING, RUNNING, COMPLETING, COMPLETED, FAILED, CANCELLED, TIMEOUT, ...
  int exit_code = 0;    ///< the N of ExitCode "N:S"
  int signal = 0;       ///< the S of ExitCode "N:S" (the signal that ended the batch script, 0 = none)
};

/// Array task indices of a Slurm index expression: "3", "2-5", "2-5%2", "[0,2-3]", "0-9:3".
/// Throws std::invalid_argument for anything else.
std::vector<int> parse_array_indices(const std::string& text);

/// Task index → state from `scontrol -o show job <array job id>` (one record per line; pending
/// tasks share one record whose ArrayTaskId is a range). Lines of other jobs are skipped.
std::map<int, TaskState> parse_scontrol(const std::string& text, const std::string& array_job_id);

/// Task index → state from `sacct -n -P -X -j <id> -o JobID,State,ExitCode`
/// ("1234_2|CANCELLED by 0|0:15", "1234_[3-5%2]|PENDING|0:0").
std::map<int, TaskState> parse_sacct(const std::string& text, const std::string& array_job_id);

/// True for a state a task never leaves (COMPLETED, FAILED, CANCELLED, TIMEOUT, OUT_OF_MEMORY,
/// NODE_FAIL, PREEMPTED, BOOT_FAIL, DEADLINE).
bool is_final(const std::string& state);

/// What index.yaml records for a task in a final state.
struct TaskOutcome {
  bool completed = false;
  std::string error;          ///< one line, for a task that did not complete
  bool process_died = false;  ///< ended from outside (signal, scancel, time limit): its run.h5 could not record it
};

/// The outcome of task `task_id` ("1234_2") in a final `state`. `error_file` is the first line of
/// the run's error.txt ("" when absent): the reason of a job that failed by itself, as the local
/// launcher records it. Tasks ended by Slurm get "Slurm job 1234_2 CANCELLED (...)" etc.
TaskOutcome task_outcome(const TaskState& state, const std::string& task_id, const std::string& error_file);

}  // namespace attnlab::slurm
