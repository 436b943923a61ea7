#include "run/sweep_dir.h"

#include <fmt/format.h>

#include <fstream>
#include <iostream>

#include "config/map_reader.h"
#include "config/yaml_loader.h"
#include "core/atomic_file.h"
#include "results/run_store.h"

namespace attnlab {

namespace fs = std::filesystem;

namespace {

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

std::string required_text(const cfg::Node& node, const std::string& key) {
  const cfg::Node* value = node.find(key);
  if (!value || !value->is_scalar()) cfg::fail_at(node.source(), "missing key '" + key + "'");
  return value->text();
}

std::string optional_text(const cfg::Node& node, const std::string& key) {
  const cfg::Node* value = node.find(key);
  return value && value->is_scalar() ? value->text() : "";
}

}  // namespace

SweepDir SweepDir::load(const fs::path& dir) {
  SweepDir sweep;
  sweep.dir = dir;
  const cfg::Node spec = cfg::load_yaml_file((dir / "sweep.yaml").string());
  const cfg::Node index = cfg::load_yaml_file((dir / "index.yaml").string());
  sweep.config_dir = required_text(spec, "config_dir");
  sweep.experiment_file = required_text(spec, "experiment_file");
  if (const cfg::Node* launcher = spec.find("launcher")) sweep.launcher = *launcher;
  const cfg::Node* jobs = index.find("jobs");
  if (!jobs || !jobs->is_sequence()) cfg::fail_at(index.source(), "index.yaml: missing list 'jobs'");
  for (const auto& entry : jobs->items()) {
    SweepJob job;
    job.name = required_text(entry, "name");
    job.dir = required_text(entry, "dir");
    job.overrides = read_string_list(entry.find("overrides"));
    job.status = required_text(entry, "status");
    job.error = required_text(entry, "error");
    job.slurm_job_id = optional_text(entry, "slurm_job_id");
    sweep.jobs.push_back(job);
  }
  return sweep;
}

void SweepDir::save_spec() const {
  cfg::Node root = cfg::Node::map();
  root["config_dir"] = cfg::Node::scalar(fs::absolute(config_dir).string(), {}, true);
  root["experiment_file"] =
      cfg::Node::scalar(experiment_file.empty() ? "" : fs::absolute(experiment_file).string(), {}, true);
  if (!launcher.is_null()) root["launcher"] = launcher;
  write_file_atomic(dir / "sweep.yaml", root.to_yaml());
}

void SweepDir::save_index() const {
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
    if (!job.slurm_job_id.empty()) entry["slurm_job_id"] = cfg::Node::scalar(job.slurm_job_id, {}, true);
    list.push_back(entry);
  }
  root["jobs"] = list;
  write_file_atomic(dir / "index.yaml", root.to_yaml());
}

fs::path SweepDir::resolved_config(const SweepJob& job) const { return dir / "jobs" / (job.dir + ".yaml"); }

std::vector<std::string> SweepDir::job_arguments(const SweepJob& job) const {
  const fs::path run = run_dir(job);
  if (fs::exists(run / "checkpoint.pt") && fs::exists(run / "run.h5")) return {"train", "--resume", run.string()};
  fs::remove_all(run);
  std::vector<std::string> args = {"run", "--run-dir", run.string(), "--config-dir", config_dir};
  const fs::path resolved = resolved_config(job);
  if (fs::exists(resolved)) {
    args.insert(args.end(), {"--resolved-config", resolved.string()});
  } else if (!experiment_file.empty()) {
    args.push_back(experiment_file);  // a sweep launched before jobs/ existed: compose now
  }
  args.insert(args.end(), job.overrides.begin(), job.overrides.end());
  return args;
}

void SweepDir::fail_job(SweepJob& job, const std::string& error, bool process_died) const {
  job.status = "failed";
  job.error = error;
  const fs::path run_h5 = run_dir(job) / "run.h5";
  if (!process_died || !fs::exists(run_h5)) return;
  try {
    results::RunStore::open(run_h5.string()).mark_failed(error);
  } catch (const std::exception& e) {
    std::cerr << fmt::format("warning: could not mark {} failed: {}", run_h5.string(), e.what()) << std::endl;
  }
}

std::string SweepDir::job_error_file(const SweepJob& job) const {
  std::ifstream in(run_dir(job) / "error.txt");
  std::string line;
  std::getline(in, line);
  return line;
}

int SweepDir::print_summary() const {
  int failed = 0;
  std::cout << fmt::format("sweep {}:", dir.string()) << '\n';
  for (const auto& job : jobs) {
    std::cout << fmt::format("  {:<10} {}{}", job.status, job.name, job.error.empty() ? "" : "  (" + job.error + ")")
              << '\n';
    failed += job.status != "completed";
  }
  std::cout << std::flush;
  return failed ? 1 : 0;
}

}  // namespace attnlab
