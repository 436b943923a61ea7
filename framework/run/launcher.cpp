#include "run/launcher.h"

#include "core/build_info.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>

#include "config/compose.h"
#include "config/map_reader.h"
#include "config/override.h"
#include "config/sweep.h"
#include "config/yaml_loader.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "data/cache.h"
#include "run/run_job.h"
#include "run/sweep_dir.h"
#include "run/sweep_launcher.h"
#include "train/data_parallel.h"

namespace attnlab {

namespace fs = std::filesystem;

namespace {

/// The plan of a sweep job from the config composed when the sweep was launched.
RunPlan plan_from_resolved(const std::string& resolved_config, const std::vector<std::string>& overrides) {
  RunPlan plan;
  const cfg::Node root = cfg::load_yaml_file(resolved_config);
  plan.config = RunConfig::from_config(root);
  plan.config_yaml = root.to_yaml();
  plan.overrides = overrides;
  return plan;
}

RunPlan make_plan(const LaunchRequest& request, const std::vector<std::string>& overrides) {
  cfg::Composition composition = cfg::compose({request.config_dir, request.experiment_file, overrides});
  RunPlan plan;
  plan.config = RunConfig::from_config(composition.root);
  plan.config_yaml = composition.root.to_yaml();
  plan.overrides = overrides;
  return plan;
}

std::string timestamp() {
  const std::time_t now = std::time(nullptr);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d_%H-%M-%S", std::localtime(&now));
  return buffer;
}

/// `base`, or `base_1`, `base_2`, ... : the first that does not exist yet.
fs::path unique_dir(const fs::path& base) {
  fs::path candidate = base;
  for (int i = 1; fs::exists(candidate); ++i) candidate = base.string() + "_" + std::to_string(i);
  return candidate;
}

/// The `launcher:` section of a composed config (Null when the config has none: local).
cfg::Node launcher_section(const cfg::Node& root) {
  const cfg::Node* section = root.find("launcher");
  return section ? *section : cfg::Node();
}

/// The highest folder of `dir`'s path that does not exist yet (what create_directories(dir) makes).
fs::path first_missing_folder(const fs::path& dir) {
  fs::path missing = dir;
  for (fs::path parent = dir.parent_path(); !parent.empty() && !fs::exists(parent); parent = parent.parent_path()) {
    missing = parent;
  }
  return missing;
}

}  // namespace

std::string default_config_dir() {
  if (const char* env = std::getenv("ATTNLAB_CONFIG_DIR")) return env;
  if (fs::is_directory("configs")) return "configs";
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec && fs::is_directory(exe.parent_path().parent_path() / "share/attnlab/configs")) {
    return (exe.parent_path().parent_path() / "share/attnlab/configs").string();
  }
  return ATTNLAB_SOURCE_DIR "/configs";
}

int launch(const LaunchRequest& request) {
  if (!request.run_dir.empty()) {  // a sweep's child: exactly these overrides, in exactly this directory
    try {
      const RunPlan plan = request.resolved_config.empty() ? make_plan(request, request.overrides)
                                                           : plan_from_resolved(request.resolved_config, request.overrides);
      execute_run(plan, request.run_dir,
                  std::getenv("ATTNLAB_LOG_PREFIX") ? std::getenv("ATTNLAB_LOG_PREFIX") : "");
    } catch (const std::exception& e) {
      fs::create_directories(request.run_dir);
      const int rank = RankEnv::from_env().rank;  // a data-parallel job's ranks share the folder
      std::ofstream(fs::path(request.run_dir) / (rank == 0 ? std::string("error.txt") : fmt::format("error_rank{}.txt", rank)))
          << e.what() << '\n';
      throw;
    }
    return 0;
  }

  // Sweep axes need the experiment's sweep block, which needs a composition without the swept values.
  cfg::expand_jobs(request.overrides, cfg::Node(), request.multirun);  // rejects comma lists without -m
  std::vector<std::string> fixed;
  for (const auto& text : request.overrides) {
    if (!cfg::parse_override(text).is_sweep()) fixed.push_back(text);
  }
  cfg::Composition base = cfg::compose({request.config_dir, request.experiment_file, fixed});
  const std::vector<cfg::Job> jobs = cfg::expand_jobs(request.overrides, base.sweep, request.multirun);
  for (const auto& job : jobs) {  // one launcher runs every job: it is read from `base`, without swept values
    for (const auto& text : job.overrides) {
      const std::string key = cfg::parse_override(text).key;
      if (std::find(fixed.begin(), fixed.end(), text) == fixed.end() && (key == "launcher" || key.rfind("launcher.", 0) == 0)) {
        throw UserError(text + ": the launcher and its options are the whole sweep's; they cannot be swept");
      }
    }
  }
  const cfg::Node launcher_options = launcher_section(base.root);
  const std::unique_ptr<SweepLauncher> launcher = make_sweep_launcher(launcher_options);  // checks its keys

  if (request.print_config || request.dry_run) {
    for (const auto& job : jobs) {
      if (request.dry_run) {
        std::cout << (job.name.empty() ? std::string("(single run)") : job.name) << "  " << join(job.overrides, " ") << '\n';
      } else {
        if (jobs.size() > 1) std::cout << "# job " << job.name << '\n';
        std::cout << make_plan(request, job.overrides).config_yaml;
      }
    }
    if (request.dry_run) std::cout << jobs.size() << " job(s)\n";
    return 0;
  }

  const std::string out_dir = RunConfig::from_config(base.root).out_dir;
  const fs::path dir = unique_dir(fs::path(out_dir) / base.experiment_name / timestamp());
  const bool single = jobs.size() == 1 && jobs[0].name.empty();
  if (single && launcher_name(launcher_options) == "local") {
    RunPlan plan = make_plan(request, jobs[0].overrides);
    EvalResult result = execute_run(plan, dir);
    if (RankEnv::from_env().distributed()) return 0;  // a rank of a run started by torchrun or srun: its log says it
    std::cout << fmt::format("done: val loss {:.4f} | ppl {:.3f} | bpc {:.4f} | {}", result.loss, result.ppl,
                             result.bpc, dir.string())
              << std::endl;
    return 0;
  }
  launcher->check();  // e.g. sbatch missing: an error before any folder exists

  SweepDir sweep;
  sweep.dir = dir;
  sweep.config_dir = request.config_dir;
  sweep.experiment_file = request.experiment_file;
  sweep.launcher = launcher_options;
  std::map<std::string, std::string> resolved;  // job dir -> config composed now
  for (const auto& job : jobs) {
    SweepJob entry;
    entry.name = job.name.empty() ? "run" : job.name;  // a single run sent to another launcher: a sweep of one
    entry.overrides = job.overrides;
    std::string dir_name = cfg::safe_dir_name(entry.name);
    for (int i = 1; std::any_of(sweep.jobs.begin(), sweep.jobs.end(), [&](const SweepJob& j) { return j.dir == dir_name; }); ++i) {
      dir_name = cfg::safe_dir_name(entry.name) + "_" + std::to_string(i);
    }
    entry.dir = dir_name;
    try {
      resolved[entry.dir] = make_plan(request, job.overrides).config_yaml;  // an invalid job fails here, the others run
    } catch (const UserError& e) {
      entry.status = "failed";
      entry.error = e.what();
    }
    sweep.jobs.push_back(entry);
  }
  const fs::path created = first_missing_folder(dir);
  fs::create_directories(dir / "jobs");
  for (const auto& job : sweep.jobs) {
    if (resolved.count(job.dir)) write_file_atomic(sweep.resolved_config(job), resolved[job.dir]);
  }
  sweep.save_spec();
  sweep.save_index();
  std::cout << fmt::format("sweep {} with {} jobs", dir.string(), jobs.size()) << std::endl;
  try {
    return (*launcher)(sweep, request.jobs);
  } catch (const SubmitError&) {
    fs::remove_all(created);  // nothing ran: leave no sweep behind
    throw;
  }
}

RunConfig compose_run_config(const std::string& config_dir, const std::string& experiment_file,
                             const std::vector<std::string>& overrides) {
  return RunConfig::from_config(cfg::compose({config_dir, experiment_file, overrides}).root);
}

int resume(const fs::path& dir, int jobs) {
  if (fs::exists(dir / "sweep.yaml")) {
    SweepDir sweep = SweepDir::load(dir);
    for (auto& job : sweep.jobs) {
      if (job.status != "completed") job.status = "pending";
    }
    return (*make_sweep_launcher(sweep.launcher))(sweep, jobs);
  }
  if (!fs::is_directory(dir)) throw UserError("--resume: no such directory: " + dir.string());
  EvalResult result = resume_run(dir);
  if (RankEnv::from_env().distributed()) return 0;  // a rank: the process that started the ranks says it
  std::cout << fmt::format("done: val loss {:.4f} | ppl {:.3f} | bpc {:.4f} | {}", result.loss, result.ppl, result.bpc,
                           dir.string())
            << std::endl;
  return 0;
}

}  // namespace attnlab
