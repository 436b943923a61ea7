#include "run/slurm_launcher.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "config/map_reader.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/subprocess.h"
#include "results/run_reader.h"
#include "config/yaml_loader.h"
#include "run/run_config.h"
#include "run/slurm_state.h"

namespace attnlab {

namespace fs = std::filesystem;

SlurmOptions SlurmOptions::from_config(const cfg::Node& section) {
  SlurmOptions o;
  cfg::MapReader r(section, "launcher");
  r.string("name", "slurm");
  o.partition = r.optional_string("partition").value_or("");
  o.time = r.optional_string("time").value_or("");
  o.cpus_per_task = r.integer("cpus_per_task", o.cpus_per_task);
  o.gpus = r.integer("gpus", o.gpus);
  o.nodes = r.integer("nodes", o.nodes);
  o.mem = r.optional_string("mem").value_or("");
  o.job_name = r.optional_string("job_name").value_or("");
  if (const cfg::Node* args = r.child("sbatch_args"); args && !args->is_null()) {
    if (!args->is_sequence()) cfg::fail_at(args->source(), "launcher.sbatch_args: expected a list of strings");
    for (const auto& arg : args->items()) {
      if (!arg.is_scalar()) cfg::fail_at(arg.source(), "launcher.sbatch_args: expected a list of strings");
      o.sbatch_args.push_back(arg.text());
    }
  }
  o.poll_s = r.number("poll_s", o.poll_s);
  r.finish();
  auto check = [&](const std::string& key, bool ok, const std::string& what) {
    if (!ok) cfg::fail_at(section.find(key)->source(), "launcher." + key + ": " + what);
  };
  check("cpus_per_task", o.cpus_per_task >= 1, "must be at least 1");
  check("gpus", o.gpus >= 0, "must be 0 or more");
  check("nodes", o.nodes >= 1, "must be at least 1");
  check("poll_s", o.poll_s > 0, "must be positive");
  return o;
}

namespace slurm {

std::string format_array_indices(std::vector<int> indices) {
  std::sort(indices.begin(), indices.end());
  indices.erase(std::unique(indices.begin(), indices.end()), indices.end());
  std::string out;
  for (size_t i = 0; i < indices.size();) {
    size_t j = i;
    while (j + 1 < indices.size() && indices[j + 1] == indices[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += j == i ? std::to_string(indices[i]) : fmt::format("{}-{}", indices[i], indices[j]);
    i = j + 1;
  }
  return out;
}

std::vector<std::string> sbatch_command(const SlurmOptions& options, const ArraySubmission& submission) {
  std::string array = "--array=" + format_array_indices(submission.indices);
  if (submission.throttle > 0) array += "%" + std::to_string(submission.throttle);
  std::vector<std::string> argv = {"sbatch", "--parsable", array, "--job-name=" + submission.job_name,
                                   "--output=" + submission.output};
  if (!options.partition.empty()) argv.push_back("--partition=" + options.partition);
  if (!options.time.empty()) argv.push_back("--time=" + options.time);
  argv.push_back("--cpus-per-task=" + std::to_string(options.cpus_per_task));
  if (options.gpus > 0) argv.push_back("--gres=gpu:" + std::to_string(options.gpus));
  if (submission.distributed()) {
    argv.push_back("--nodes=" + std::to_string(submission.nodes));
    argv.push_back("--ntasks-per-node=" + std::to_string(submission.ranks_per_node));
  }
  if (!options.mem.empty()) argv.push_back("--mem=" + options.mem);
  argv.insert(argv.end(), options.sbatch_args.begin(), options.sbatch_args.end());
  argv.push_back(submission.script);
  return argv;
}

std::string parse_sbatch_job_id(const std::string& out) {
  const std::string first_line = out.substr(0, out.find('\n'));
  const std::string id = first_line.substr(0, first_line.find(';'));
  if (id.empty() || !std::all_of(id.begin(), id.end(), ::isdigit)) {
    throw UserError("sbatch printed no job id (expected one with --parsable): '" + one_line(out) + "'");
  }
  return id;
}

std::string batch_script(const std::string& exe, const std::string& sweep_dir, bool distributed) {
  auto quote = [](const std::string& text) {
    std::string out = "'";
    for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
  };
  const std::string head =
      "#!/bin/sh\n"
      "# A Slurm array task of an attnlab sweep: runs job number $SLURM_ARRAY_TASK_ID of index.yaml\n"
      "# (written by attnlab run launcher=slurm; see docs/slurm.md).\n";
  const std::string ranks =
      "# One data-parallel job: srun starts a rank on every task (docs/distributed.md).\n"
      "MASTER_ADDR=$(scontrol show hostnames \"$SLURM_JOB_NODELIST\" | head -n 1)\n"
      "MASTER_PORT=$((20000 + SLURM_JOB_ID % 20000))\n"
      "export MASTER_ADDR MASTER_PORT ATTNLAB_SLURM_RANKS=1\n"
      "exec srun --kill-on-bad-exit=1 ";
  return head + (distributed ? ranks : std::string("exec ")) + quote(exe) + " run --sweep-task " + quote(sweep_dir) + "\n";
}

const SweepJob& task_job(const SweepDir& sweep, int index) {
  if (index < 0 || static_cast<size_t>(index) >= sweep.jobs.size()) {
    throw UserError(fmt::format("array task {}: the sweep {} has jobs 0-{}", index, sweep.dir.string(),
                                static_cast<int>(sweep.jobs.size()) - 1));
  }
  return sweep.jobs[static_cast<size_t>(index)];
}

}  // namespace slurm

namespace {

using slurm::TaskState;

volatile std::sig_atomic_t interrupted = 0;
void on_interrupt(int) { interrupted = 1; }

/// SIGINT/SIGTERM set `interrupted` while it lives (a second one acts as usual); restores the old handlers.
class InterruptGuard {
 public:
  InterruptGuard() {
    interrupted = 0;
    struct sigaction action {};
    action.sa_handler = on_interrupt;
    action.sa_flags = SA_RESETHAND;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
  }
  ~InterruptGuard() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

bool on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    const size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::string dir = dirs.substr(start, end - start);
    if (::access(((dir.empty() ? "." : dir) + "/" + program).c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

/// The controller's records of array job `id`: nullopt when scontrol could not answer (try again
/// later); an empty map when the controller no longer knows the job.
std::optional<std::map<int, TaskState>> controller_states(const std::string& id) {
  const CommandResult result = run_command({"scontrol", "-o", "show", "job", id});
  if (result.started && result.exit_code == 0) return slurm::parse_scontrol(result.out, id);
  if (result.err.find("Invalid job id") != std::string::npos) return std::map<int, TaskState>{};
  return std::nullopt;
}

/// The accounting database's records of array job `id` (empty when sacct has none or is disabled).
std::map<int, TaskState> accounting_states(const std::string& id) {
  const CommandResult result = run_command({"sacct", "-n", "-P", "-X", "-j", id, "-o", "JobID,State,ExitCode"});
  if (!result.started || result.exit_code != 0) return {};
  return slurm::parse_sacct(result.out, id);
}

/// The state of every task in `indices` of array job `id`: the controller's, else the accounting
/// database's; tasks neither knows are absent. nullopt when the controller did not answer.
std::optional<std::map<int, TaskState>> task_states(const std::string& id, const std::vector<int>& indices) {
  auto states = controller_states(id);
  if (!states) return std::nullopt;
  const bool all_known = std::all_of(indices.begin(), indices.end(), [&](int i) { return states->count(i) > 0; });
  if (!all_known) {
    for (const auto& [index, state] : accounting_states(id)) states->emplace(index, state);
  }
  return states;
}

std::string run_h5_status(const SweepDir& sweep, const SweepJob& job) {
  const fs::path run_h5 = sweep.run_dir(job) / "run.h5";
  if (!fs::exists(run_h5)) return "absent";
  try {
    return results::RunReader(run_h5.string()).string_attribute("status", "unknown");
  } catch (const std::exception&) {
    return "unreadable";
  }
}

/// Records how a task ended: from Slurm's state, or (`state` empty: Slurm forgot the task) from run.h5.
void finish_job(SweepDir& sweep, SweepJob& job, const TaskState& state) {
  if (state.state.empty()) {
    const std::string status = run_h5_status(sweep, job);
    if (status == "completed") {
      job.status = "completed";
      job.error.clear();
    } else {
      sweep.fail_job(job,
                     fmt::format("Slurm job {} ended, but neither scontrol nor sacct knows how (run.h5: {})",
                                 job.slurm_job_id, status),
                     status == "running");
    }
    return;
  }
  const slurm::TaskOutcome outcome = slurm::task_outcome(state, job.slurm_job_id, sweep.job_error_file(job));
  if (outcome.completed) {
    job.status = "completed";
    job.error.clear();
  } else {
    sweep.fail_job(job, outcome.error, outcome.process_died);
  }
}

/// "1234_2" → "1234".
std::string array_job_of(const std::string& task_id) { return task_id.substr(0, task_id.find('_')); }
int index_of(const std::string& task_id) { return std::stoi(task_id.substr(task_id.find('_') + 1)); }

/// Before a resubmission: jobs of an earlier array that completed after its submitting process
/// died are marked completed; a task of it that is still queued or running is an error.
void reconcile(SweepDir& sweep) {
  std::map<std::string, std::vector<SweepJob*>> by_array;
  for (auto& job : sweep.jobs) {
    if (job.pending() && !job.slurm_job_id.empty()) by_array[array_job_of(job.slurm_job_id)].push_back(&job);
  }
  bool changed = false;
  for (const auto& [id, jobs] : by_array) {
    std::vector<int> indices;
    for (const SweepJob* job : jobs) indices.push_back(index_of(job->slurm_job_id));
    const auto states = task_states(id, indices);
    if (!states) throw UserError("scontrol could not report Slurm job " + id + " (is slurmctld up?)");
    for (SweepJob* job : jobs) {
      const auto it = states->find(index_of(job->slurm_job_id));
      if (it != states->end() && !slurm::is_final(it->second.state)) {
        throw UserError(fmt::format("Slurm job {} of this sweep is still {}: wait for it to end, or scancel {}, "
                                    "then resume",
                                    job->slurm_job_id, it->second.state, id));
      }
      const bool completed = it != states->end() ? it->second.state == "COMPLETED"
                                                 : run_h5_status(sweep, *job) == "completed";
      if (completed) {
        job->status = "completed";
        job->error.clear();
        changed = true;
      }
    }
  }
  if (changed) sweep.save_index();
}

}  // namespace

SlurmLauncher::SlurmLauncher(SlurmOptions options) : options_(std::move(options)) {}

void SlurmLauncher::check() const {
  for (const char* program : {"sbatch", "scontrol"}) {
    if (!on_path(program)) {
      throw SubmitError(fmt::format("launcher=slurm: {} not found on PATH (install the Slurm client tools, "
                                  "or run with launcher=local)",
                                  program));
    }
  }
}

namespace {

/// The jobs' distributed.nproc: one array has one shape, so the jobs must agree.
int64_t ranks_per_node(const SweepDir& sweep, const std::vector<int>& indices) {
  int64_t ranks = 0;
  for (int index : indices) {
    const SweepJob& job = sweep.jobs[static_cast<size_t>(index)];
    const fs::path resolved = sweep.resolved_config(job);
    if (!fs::exists(resolved)) continue;  // a sweep from before configs were composed at launch
    const int64_t nproc = RunConfig::from_config(cfg::load_yaml_file(resolved.string())).distributed.nproc;
    if (ranks != 0 && nproc != ranks)
      throw UserError(fmt::format("launcher=slurm: job {} has distributed.nproc = {} and another {}; the jobs of one "
                                  "array must run the same number of ranks", job.name, nproc, ranks));
    ranks = nproc;
  }
  return std::max<int64_t>(ranks, 1);
}

}  // namespace

int SlurmLauncher::operator()(SweepDir& sweep, int parallel) {
  check();
  reconcile(sweep);
  std::vector<int> indices;
  for (size_t i = 0; i < sweep.jobs.size(); ++i) {
    if (sweep.jobs[i].pending()) indices.push_back(static_cast<int>(i));
  }
  if (indices.empty()) return sweep.print_summary();

  // Absolute paths: the tasks may start in another directory, on another machine.
  sweep.dir = fs::absolute(sweep.dir);
  const fs::path slurm_dir = sweep.dir / "slurm";
  fs::create_directories(slurm_dir);
  ArraySubmission submission;
  submission.nodes = options_.nodes;
  submission.ranks_per_node = ranks_per_node(sweep, indices);
  const fs::path script = slurm_dir / "task.sh";
  write_file_atomic(script, slurm::batch_script(fs::read_symlink("/proc/self/exe").string(), sweep.dir.string(),
                                                submission.distributed()));
  fs::permissions(script, fs::perms::owner_exec | fs::perms::group_exec, fs::perm_options::add);

  submission.indices = indices;
  submission.throttle = parallel;
  submission.job_name = options_.job_name.empty() ? "attnlab-" + sweep.dir.parent_path().filename().string()
                                                  : options_.job_name;
  submission.output = (slurm_dir / "%A_%a.out").string();
  submission.script = script.string();
  const CommandResult submitted = run_command(slurm::sbatch_command(options_, submission));
  if (!submitted.started) throw SubmitError("launcher=slurm: cannot run sbatch: " + submitted.err);
  if (submitted.exit_code != 0) {
    throw SubmitError("sbatch rejected the job array: " +
                    one_line(submitted.err.empty() ? submitted.out : submitted.err));
  }
  const std::string id = slurm::parse_sbatch_job_id(submitted.out);
  for (int index : indices) {
    SweepJob& job = sweep.jobs[static_cast<size_t>(index)];
    job.status = "pending";
    job.error.clear();
    job.slurm_job_id = fmt::format("{}_{}", id, index);
  }
  sweep.save_index();
  std::cout << fmt::format("submitted Slurm job {}: array {} ({} task{}{}); task output in {}/{}_<index>.out", id,
                           slurm::format_array_indices(indices), indices.size(), indices.size() == 1 ? "" : "s",
                           parallel > 0 ? fmt::format(", {} at a time", parallel) : "", slurm_dir.string(), id)
            << std::endl;

  const InterruptGuard guard;
  std::set<int> open(indices.begin(), indices.end());
  bool cancelled = false, warned = false;
  const auto poll = std::chrono::milliseconds(static_cast<int64_t>(options_.poll_s * 1000));
  while (!open.empty()) {
    for (auto waited = std::chrono::milliseconds(0); waited < poll && !(interrupted && !cancelled);
         waited += std::chrono::milliseconds(100)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (interrupted && !cancelled) {
      std::cout << fmt::format("interrupted: cancelling Slurm job {} (scancel {})", id, id) << std::endl;
      run_command({"scancel", id});
      cancelled = true;
    }
    const auto states = task_states(id, std::vector<int>(open.begin(), open.end()));
    if (!states) {
      if (!warned) std::cerr << fmt::format("warning: scontrol cannot report job {} now; still waiting", id) << std::endl;
      warned = true;
      continue;
    }
    bool changed = false;
    for (int index : std::vector<int>(open.begin(), open.end())) {
      SweepJob& job = sweep.jobs[static_cast<size_t>(index)];
      const auto it = states->find(index);
      const TaskState state = it != states->end() ? it->second : TaskState{};
      const std::string label = fmt::format("job {}/{}: {}", index + 1, sweep.jobs.size(), job.name);
      if (!state.state.empty() && !slurm::is_final(state.state)) {
        if (state.state == "RUNNING" && job.status != "running") {
          job.status = "running";
          changed = true;
          std::cout << fmt::format("== {} (Slurm {})", label, job.slurm_job_id) << std::endl;
        }
        continue;
      }
      finish_job(sweep, job, state);
      open.erase(index);
      changed = true;
      std::cout << fmt::format("-- {}: {}{}", label, job.status, job.error.empty() ? "" : " (" + job.error + ")")
                << std::endl;
    }
    if (changed) sweep.save_index();
  }
  return sweep.print_summary();
}

void run_array_task(const fs::path& sweep_dir) {
  const char* task_id = std::getenv("SLURM_ARRAY_TASK_ID");
  if (!task_id || !*task_id) {
    throw UserError("--sweep-task runs inside a Slurm array task ($SLURM_ARRAY_TASK_ID is not set)");
  }
  int index = -1;
  try {
    index = std::stoi(task_id);
  } catch (const std::exception&) {
    throw UserError(std::string("$SLURM_ARRAY_TASK_ID is not a number: '") + task_id + "'");
  }
  const SweepDir sweep = SweepDir::load(sweep_dir);
  const SweepJob& job = slurm::task_job(sweep, index);
  const std::vector<std::string> args = sweep.job_arguments(job);
  const char* cpus = std::getenv("SLURM_CPUS_PER_TASK");
  if (cpus && !std::getenv("ATTNLAB_THREADS")) setenv("ATTNLAB_THREADS", cpus, 1);
  unsetenv("ATTNLAB_LOG_PREFIX");
  std::cout << fmt::format("attnlab sweep task {}: job {} ({}): attnlab {}", index, job.name, job.dir, join(args, " "))
            << std::endl;
  SelfExec(args).exec();
  throw std::runtime_error(std::string("cannot execute /proc/self/exe: ") + strerror(errno));
}

}  // namespace attnlab
