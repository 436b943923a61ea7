#include "run/launcher.h"

#include "core/build_info.h"

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <thread>

#include "config/compose.h"
#include "config/map_reader.h"
#include "config/override.h"
#include "config/sweep.h"
#include "config/yaml_loader.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "data/cache.h"
#include "results/run_store.h"
#include "run/run_job.h"

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

cfg::Node string_list(const std::vector<std::string>& items) {
  cfg::Node list = cfg::Node::sequence();
  for (const auto& item : items) list.push_back(cfg::Node::scalar(item, {}, true));
  return list;
}

std::vector<std::string> read_string_list(const cfg::Node* node) {
  std::vector<std::string> out;
  if (node) {
    for (const auto& item : node->items()) out.push_back(item.text());
  }
  return out;
}

/// One job of a sweep and its state in index.yaml.
struct SweepJob {
  std::string name;
  std::string dir;  // relative to the sweep directory
  std::vector<std::string> overrides;
  std::string status = "pending";  // pending | running | completed | failed
  std::string error;
};

struct Sweep {
  fs::path dir;
  std::string config_dir;
  std::string experiment_file;
  std::vector<SweepJob> jobs;

  void save_index() const {
    cfg::Node root = cfg::Node::map();
    root["experiment_file"] = cfg::Node::scalar(experiment_file, {}, true);
    cfg::Node list = cfg::Node::sequence();
    for (const auto& job : jobs) {
      cfg::Node entry = cfg::Node::map();
      entry["name"] = cfg::Node::scalar(job.name, {}, true);
      entry["dir"] = cfg::Node::scalar(job.dir, {}, true);
      entry["overrides"] = string_list(job.overrides);
      entry["status"] = cfg::Node::scalar(job.status);
      entry["error"] = cfg::Node::scalar(job.error, {}, true);
      list.push_back(entry);
    }
    root["jobs"] = list;
    write_file_atomic(dir / "index.yaml", root.to_yaml());
  }

  /// jobs/<job dir>.yaml: the job's config as composed at launch.
  fs::path resolved_config(const SweepJob& job) const { return dir / "jobs" / (job.dir + ".yaml"); }

  void save_spec() const {
    cfg::Node root = cfg::Node::map();
    root["config_dir"] = cfg::Node::scalar(fs::absolute(config_dir).string(), {}, true);
    root["experiment_file"] = cfg::Node::scalar(experiment_file.empty() ? "" : fs::absolute(experiment_file).string(), {}, true);
    write_file_atomic(dir / "sweep.yaml", root.to_yaml());
  }

  static Sweep load(const fs::path& dir) {
    Sweep sweep;
    sweep.dir = dir;
    const cfg::Node spec = cfg::load_yaml_file((dir / "sweep.yaml").string());
    const cfg::Node index = cfg::load_yaml_file((dir / "index.yaml").string());
    auto text = [](const cfg::Node& node, const std::string& key) {
      const cfg::Node* value = node.find(key);
      if (!value || !value->is_scalar()) cfg::fail_at(node.source(), "missing key '" + key + "'");
      return value->text();
    };
    sweep.config_dir = text(spec, "config_dir");
    sweep.experiment_file = text(spec, "experiment_file");
    const cfg::Node* jobs = index.find("jobs");
    if (!jobs || !jobs->is_sequence()) cfg::fail_at(index.source(), "index.yaml: missing list 'jobs'");
    for (const auto& entry : jobs->items()) {
      SweepJob job;
      job.name = text(entry, "name");
      job.dir = text(entry, "dir");
      job.overrides = read_string_list(entry.find("overrides"));
      job.status = text(entry, "status");
      job.error = text(entry, "error");
      sweep.jobs.push_back(job);
    }
    return sweep;
  }
};

std::string read_error_file(const fs::path& run_dir) {
  std::ifstream in(run_dir / "error.txt");
  std::string line;
  std::getline(in, line);
  return line;
}

/// A job that died by a signal could not record its end: its run.h5 (if it got that far) says
/// `running`. Mark it failed with the reason, so `attnlab report` and readers see it.
void mark_run_failed(const fs::path& run_h5, const std::string& error) {
  if (!fs::exists(run_h5)) return;
  try {
    results::RunStore::open(run_h5.string()).mark_failed(error);
  } catch (const std::exception& e) {
    std::cerr << fmt::format("warning: could not mark {} failed: {}", run_h5.string(), e.what()) << std::endl;
  }
}

/// Starts `attnlab <args...>` as a child process; stdout/stderr are inherited.
pid_t spawn_self(const std::vector<std::string>& args, const std::map<std::string, std::string>& env) {
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    for (const auto& [key, value] : env) setenv(key.c_str(), value.c_str(), 1);
    std::vector<char*> argv;
    static std::string self = "attnlab";
    argv.push_back(self.data());
    for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    execv("/proc/self/exe", argv.data());
    _exit(127);
  }
  return pid;
}

/// Runs every job whose status is not completed, `jobs` at a time; keeps index.yaml current.
int run_sweep(Sweep& sweep, int jobs) {
  jobs = std::max(1, jobs);
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::map<std::string, std::string> env;
  if (jobs > 1) env["ATTNLAB_THREADS"] = std::to_string(std::max(1, cores / jobs));

  std::map<pid_t, size_t> running;
  size_t next = 0;
  auto start_next = [&]() -> bool {
    for (; next < sweep.jobs.size(); ++next) {
      SweepJob& job = sweep.jobs[next];
      if (job.status == "completed" || job.status == "failed") continue;
      const fs::path run_dir = sweep.dir / job.dir;
      std::vector<std::string> args;
      if (fs::exists(run_dir / "checkpoint.pt") && fs::exists(run_dir / "run.h5")) {
        args = {"train", "--resume", run_dir.string()};
      } else {
        fs::remove_all(run_dir);
        args = {"run", "--run-dir", run_dir.string(), "--config-dir", sweep.config_dir};
        const fs::path resolved = sweep.resolved_config(job);
        if (fs::exists(resolved)) {
          args.insert(args.end(), {"--resolved-config", resolved.string()});
        } else if (!sweep.experiment_file.empty()) {
          args.push_back(sweep.experiment_file);  // a sweep launched before jobs/ existed: compose now
        }
        args.insert(args.end(), job.overrides.begin(), job.overrides.end());
      }
      auto job_env = env;
      job_env["ATTNLAB_LOG_PREFIX"] = jobs > 1 ? "[" + job.name + "] " : "";
      job.status = "running";
      job.error.clear();
      sweep.save_index();
      std::cout << fmt::format("== job {}/{}: {}", next + 1, sweep.jobs.size(), job.name) << std::endl;
      running[spawn_self(args, job_env)] = next++;
      return true;
    }
    return false;
  };

  while (true) {
    while (static_cast<int>(running.size()) < jobs && start_next()) {
    }
    if (running.empty()) break;
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    auto it = running.find(pid);
    if (it == running.end()) continue;
    SweepJob& job = sweep.jobs[it->second];
    running.erase(it);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      job.status = "completed";
    } else {
      job.status = "failed";
      job.error = read_error_file(sweep.dir / job.dir);
      if (job.error.empty()) {
        job.error = WIFSIGNALED(status)
                        ? fmt::format("killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)))
                        : fmt::format("exit code {}", WEXITSTATUS(status));
      }
      if (WIFSIGNALED(status)) mark_run_failed(sweep.dir / job.dir / "run.h5", job.error);
    }
    sweep.save_index();
  }

  int failed = 0;
  std::cout << fmt::format("sweep {}:", sweep.dir.string()) << '\n';
  for (const auto& job : sweep.jobs) {
    std::cout << fmt::format("  {:<10} {}{}", job.status, job.name, job.error.empty() ? "" : "  (" + job.error + ")") << '\n';
    failed += job.status != "completed";
  }
  std::cout << std::flush;
  return failed ? 1 : 0;
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
      std::ofstream(fs::path(request.run_dir) / "error.txt") << e.what() << '\n';
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
  if (jobs.size() == 1 && jobs[0].name.empty()) {
    RunPlan plan = make_plan(request, jobs[0].overrides);
    EvalResult result = execute_run(plan, dir);
    std::cout << fmt::format("done: val loss {:.4f} | ppl {:.3f} | bpc {:.4f} | {}", result.loss, result.ppl,
                             result.bpc, dir.string())
              << std::endl;
    return 0;
  }

  Sweep sweep;
  sweep.dir = dir;
  sweep.config_dir = request.config_dir;
  sweep.experiment_file = request.experiment_file;
  std::map<std::string, std::string> resolved;  // job dir -> config composed now
  for (const auto& job : jobs) {
    SweepJob entry;
    entry.name = job.name;
    entry.overrides = job.overrides;
    std::string dir_name = cfg::safe_dir_name(job.name);
    for (int i = 1; std::any_of(sweep.jobs.begin(), sweep.jobs.end(), [&](const SweepJob& j) { return j.dir == dir_name; }); ++i) {
      dir_name = cfg::safe_dir_name(job.name) + "_" + std::to_string(i);
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
  fs::create_directories(dir / "jobs");
  for (const auto& job : sweep.jobs) {
    if (resolved.count(job.dir)) write_file_atomic(sweep.resolved_config(job), resolved[job.dir]);
  }
  sweep.save_spec();
  sweep.save_index();
  std::cout << fmt::format("sweep {} with {} jobs", dir.string(), jobs.size()) << std::endl;
  return run_sweep(sweep, request.jobs);
}

int resume(const fs::path& dir, int jobs) {
  if (fs::exists(dir / "sweep.yaml")) {
    Sweep sweep = Sweep::load(dir);
    for (auto& job : sweep.jobs) {
      if (job.status != "completed") job.status = "pending";
    }
    return run_sweep(sweep, jobs);
  }
  if (!fs::is_directory(dir)) throw UserError("--resume: no such directory: " + dir.string());
  EvalResult result = resume_run(dir);
  std::cout << fmt::format("done: val loss {:.4f} | ppl {:.3f} | bpc {:.4f} | {}", result.loss, result.ppl, result.bpc,
                           dir.string())
            << std::endl;
  return 0;
}

}  // namespace attnlab
