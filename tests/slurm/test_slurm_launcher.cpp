// The Slurm launcher without Slurm: its options (configs/launcher/slurm.yaml), the sbatch command
// line, the batch script, array index -> job, and the sweep directory it shares with the local launcher.
#include <filesystem>
#include <fstream>

#include "config/compose.h"
#include "core/build_info.h"
#include "core/error.h"
#include "run/slurm_launcher.h"
#include "run/sweep_dir.h"
#include "run/sweep_launcher.h"
#include "support/catch.h"
#include "support/temp_dir.h"

using namespace attnlab;
namespace fs = std::filesystem;

namespace {

cfg::Node launcher_section(const std::vector<std::string>& overrides) {
  const cfg::Composition composition = cfg::compose({std::string(ATTNLAB_SOURCE_DIR) + "/configs", "", overrides});
  const cfg::Node* section = composition.root.find("launcher");
  REQUIRE(section != nullptr);
  return *section;
}

ArraySubmission submission(std::vector<int> indices, int throttle) {
  ArraySubmission s;
  s.indices = std::move(indices);
  s.throttle = throttle;
  s.job_name = "attnlab-quickstart";
  s.output = "/runs/q/t/slurm/%A_%a.out";
  s.script = "/runs/q/t/slurm/task.sh";
  return s;
}

}  // namespace

TEST_CASE("the default launcher is local; launcher=slurm reads configs/launcher/slurm.yaml", "[slurm]") {
  CHECK(launcher_name(launcher_section({})) == "local");
  CHECK(launcher_name(launcher_section({"launcher=slurm"})) == "slurm");
  const SlurmOptions defaults = SlurmOptions::from_config(launcher_section({"launcher=slurm"}));
  CHECK(defaults.partition.empty());
  CHECK(defaults.time.empty());
  CHECK(defaults.cpus_per_task == 1);
  CHECK(defaults.gpus == 0);
  CHECK(defaults.sbatch_args.empty());
  CHECK(defaults.poll_s == 10);
  const SlurmOptions o = SlurmOptions::from_config(launcher_section(
      {"launcher=slurm", "launcher.partition=gpu", "launcher.time=04:00:00", "launcher.cpus_per_task=4",
       "launcher.gpus=1", "launcher.mem=16G", "launcher.sbatch_args=[--account=lab, --qos=short]",
       "launcher.poll_s=0.5"}));
  CHECK(o.partition == "gpu");
  CHECK(o.time == "04:00:00");
  CHECK(o.cpus_per_task == 4);
  CHECK(o.gpus == 1);
  CHECK(o.mem == "16G");
  CHECK(o.sbatch_args == std::vector<std::string>{"--account=lab", "--qos=short"});
  CHECK(o.poll_s == 0.5);
  CHECK(make_sweep_launcher(launcher_section({"launcher=slurm"})) != nullptr);
  CHECK(make_sweep_launcher(cfg::Node()) != nullptr);
}

TEST_CASE("launcher options are checked like every other key", "[slurm]") {
  CHECK_THROWS_WITH(SlurmOptions::from_config(launcher_section({"launcher=slurm", "+launcher.partiton=gpu"})),
                    Catch::Contains("unknown key 'launcher.partiton'") && Catch::Contains("partition"));
  CHECK_THROWS_WITH(SlurmOptions::from_config(launcher_section({"launcher=slurm", "launcher.cpus_per_task=0"})),
                    Catch::Contains("launcher.cpus_per_task: must be at least 1"));
  CHECK_THROWS_WITH(SlurmOptions::from_config(launcher_section({"launcher=slurm", "launcher.sbatch_args={a: 1}"})),
                    Catch::Contains("launcher.sbatch_args: expected a list of strings"));
  CHECK_THROWS_WITH(make_sweep_launcher(launcher_section({"launcher=slurm", "launcher.name=slrum"})),
                    Catch::Contains("unknown launcher 'slrum'") && Catch::Contains("did you mean 'slurm'"));
  CHECK_THROWS_AS(make_sweep_launcher(launcher_section({"+launcher.partition=gpu"})), UserError);  // local has none
}

TEST_CASE("array index lists are compact", "[slurm]") {
  CHECK(slurm::format_array_indices({0, 1, 2, 3}) == "0-3");
  CHECK(slurm::format_array_indices({2}) == "2");
  CHECK(slurm::format_array_indices({9, 1, 4, 5, 6, 4}) == "1,4-6,9");
  CHECK(slurm::format_array_indices({0, 2, 4}) == "0,2,4");
}

TEST_CASE("the sbatch command line follows the options", "[slurm]") {
  SlurmOptions minimal;
  CHECK(slurm::sbatch_command(minimal, submission({0, 1, 2, 3}, 0)) ==
        std::vector<std::string>{"sbatch", "--parsable", "--array=0-3", "--job-name=attnlab-quickstart",
                                 "--output=/runs/q/t/slurm/%A_%a.out", "--cpus-per-task=1", "/runs/q/t/slurm/task.sh"});
  SlurmOptions full;
  full.partition = "gpu";
  full.time = "01:30:00";
  full.cpus_per_task = 8;
  full.gpus = 2;
  full.mem = "32G";
  full.sbatch_args = {"--account=lab", "--qos=short"};
  // a resume: only the jobs not completed, at most 2 at a time (-j 2)
  CHECK(slurm::sbatch_command(full, submission({5, 1, 2}, 2)) ==
        std::vector<std::string>{"sbatch", "--parsable", "--array=1-2,5%2", "--job-name=attnlab-quickstart",
                                 "--output=/runs/q/t/slurm/%A_%a.out", "--partition=gpu", "--time=01:30:00",
                                 "--cpus-per-task=8", "--gres=gpu:2", "--mem=32G", "--account=lab", "--qos=short",
                                 "/runs/q/t/slurm/task.sh"});
}

TEST_CASE("a data-parallel job asks for its nodes and a task per rank", "[slurm]") {
  SlurmOptions options;
  options.nodes = 2;
  ArraySubmission s = submission({0}, 0);
  s.nodes = 2;
  s.ranks_per_node = 4;  // distributed.nproc
  CHECK(slurm::sbatch_command(options, s) ==
        std::vector<std::string>{"sbatch", "--parsable", "--array=0", "--job-name=attnlab-quickstart",
                                 "--output=/runs/q/t/slurm/%A_%a.out", "--cpus-per-task=1", "--nodes=2",
                                 "--ntasks-per-node=4", "/runs/q/t/slurm/task.sh"});
  const std::string script = slurm::batch_script("/opt/attnlab/bin/attnlab", "/runs/x", /*distributed=*/true);
  CHECK(script.find("MASTER_ADDR=$(scontrol show hostnames \"$SLURM_JOB_NODELIST\" | head -n 1)\n") != std::string::npos);
  CHECK(script.find("export MASTER_ADDR MASTER_PORT ATTNLAB_SLURM_RANKS=1\n") != std::string::npos);
  CHECK(script.find("\nexec srun --kill-on-bad-exit=1 '/opt/attnlab/bin/attnlab' run --sweep-task '/runs/x'\n") != std::string::npos);
}

TEST_CASE("sbatch --parsable output gives the job id", "[slurm]") {
  CHECK(slurm::parse_sbatch_job_id("1234\n") == "1234");
  CHECK(slurm::parse_sbatch_job_id("77;cluster\n") == "77");
  CHECK_THROWS_AS(slurm::parse_sbatch_job_id(""), UserError);
  CHECK_THROWS_WITH(slurm::parse_sbatch_job_id("Submitted batch job 12\n"), Catch::Contains("no job id"));
}

TEST_CASE("the batch script execs attnlab for the task, paths quoted", "[slurm]") {
  const std::string script = slurm::batch_script("/opt/attnlab/bin/attnlab", "/runs/it's here");
  CHECK(script.rfind("#!/bin/sh\n", 0) == 0);
  CHECK(script.find("\nexec '/opt/attnlab/bin/attnlab' run --sweep-task '/runs/it'\\''s here'\n") != std::string::npos);
}

TEST_CASE("array task i runs job i of index.yaml, as the local launcher would", "[slurm]") {
  testing::TempDir tmp;
  SweepDir sweep;
  sweep.dir = tmp.path() / "sweep";
  sweep.config_dir = "/cfg";
  sweep.launcher = launcher_section({"launcher=slurm", "launcher.partition=debug"});
  for (const std::string name : {"seed=1", "seed=2", "seed=3"}) {
    SweepJob job;
    job.name = name;
    job.dir = name;
    job.overrides = {"train.steps=5", name};
    sweep.jobs.push_back(job);
  }
  sweep.jobs[0].status = "completed";
  sweep.jobs[0].slurm_job_id = "41_0";
  sweep.jobs[2].status = "failed";
  sweep.jobs[2].error = "Slurm job 41_2 CANCELLED (scancel, or an administrator)";
  sweep.jobs[2].slurm_job_id = "41_2";
  fs::create_directories(sweep.dir / "jobs");
  std::ofstream(sweep.dir / "jobs" / "seed=2.yaml") << "seed: 2\n";
  sweep.save_spec();
  sweep.save_index();

  const SweepDir loaded = SweepDir::load(sweep.dir);
  REQUIRE(loaded.jobs.size() == 3);
  CHECK(launcher_name(loaded.launcher) == "slurm");
  CHECK(SlurmOptions::from_config(loaded.launcher).partition == "debug");
  CHECK(loaded.jobs[0].slurm_job_id == "41_0");
  CHECK(loaded.jobs[1].slurm_job_id.empty());
  CHECK(loaded.jobs[2].error == sweep.jobs[2].error);
  CHECK(slurm::task_job(loaded, 1).name == "seed=2");
  CHECK(slurm::task_job(loaded, 2).name == "seed=3");
  CHECK_THROWS_WITH(slurm::task_job(loaded, 3), Catch::Contains("has jobs 0-2"));
  CHECK_THROWS_AS(slurm::task_job(loaded, -1), UserError);

  // a fresh job: run --run-dir with the config composed at launch; a leftover run dir is cleared
  const fs::path run_dir = sweep.dir / "seed=2";
  fs::create_directories(run_dir);
  std::ofstream(run_dir / "log.txt") << "a start that died before its first checkpoint\n";
  CHECK(loaded.job_arguments(slurm::task_job(loaded, 1)) ==
        std::vector<std::string>{"run", "--run-dir", run_dir.string(), "--config-dir", "/cfg", "--resolved-config",
                                 (sweep.dir / "jobs" / "seed=2.yaml").string(), "train.steps=5", "seed=2"});
  CHECK_FALSE(fs::exists(run_dir));
  // a job with a checkpoint resumes from it
  const fs::path cancelled = sweep.dir / "seed=3";
  fs::create_directories(cancelled);
  std::ofstream(cancelled / "checkpoint.pt") << "x";
  std::ofstream(cancelled / "run.h5") << "x";
  CHECK(loaded.job_arguments(slurm::task_job(loaded, 2)) ==
        std::vector<std::string>{"train", "--resume", cancelled.string()});
}

TEST_CASE("an array task outside Slurm, or beyond the sweep, is a one-line error", "[slurm]") {
  testing::TempDir tmp;
  SweepDir sweep;
  sweep.dir = tmp.path();
  sweep.config_dir = "/cfg";
  SweepJob job;
  job.name = job.dir = "seed=1";
  sweep.jobs.push_back(job);
  sweep.save_spec();
  sweep.save_index();
  // only failures are tried here: a valid task replaces the test process with attnlab
  unsetenv("SLURM_ARRAY_TASK_ID");
  CHECK_THROWS_WITH(run_array_task(tmp.path()), Catch::Contains("$SLURM_ARRAY_TASK_ID is not set"));
  setenv("SLURM_ARRAY_TASK_ID", "x", 1);
  CHECK_THROWS_WITH(run_array_task(tmp.path()), Catch::Contains("not a number"));
  setenv("SLURM_ARRAY_TASK_ID", "1", 1);
  CHECK_THROWS_WITH(run_array_task(tmp.path()), Catch::Contains("array task 1") && Catch::Contains("has jobs 0-0"));
  unsetenv("SLURM_ARRAY_TASK_ID");
}
