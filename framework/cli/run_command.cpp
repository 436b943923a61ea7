#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "run/launcher.h"
#include "run/slurm_launcher.h"

namespace attnlab::cli {

void split_positionals(const std::vector<std::string>& words, LaunchRequest& request) {
  for (const auto& word : words) {
    const bool is_file = word.find('=') == std::string::npos && word.front() != '~' &&
                         (word.size() > 5 && (word.substr(word.size() - 5) == ".yaml" || word.substr(word.size() - 4) == ".yml"));
    if (is_file && request.experiment_file.empty() && request.overrides.empty()) {
      request.experiment_file = word;
    } else {
      request.overrides.push_back(word);
    }
  }
}

void add_run_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("run", "Compose a config (experiment file + overrides) and train/evaluate; -m sweeps");
  cmd->footer(
      "Examples:\n"
      "  attnlab run experiments/quickstart.yaml\n"
      "  attnlab run experiments/quickstart.yaml train.steps=200 model=small\n"
      "  attnlab run -m mixer=softmax train.lr=1e-3,3e-3 seed='range(0,3)' --jobs 2\n"
      "  attnlab run -m seed='range(0,8)' launcher=slurm launcher.partition=gpu   # one Slurm job array\n"
      "  attnlab run experiments/quickstart.yaml --cfg      # print the resolved config\n"
      "  attnlab run --resume runs/quickstart/2026-11-24_10-00-00");
  struct Options {
    std::vector<std::string> words;
    LaunchRequest request;
    std::string resume;
    std::string sweep_task;
  };
  auto options = std::make_shared<Options>();
  options->request.config_dir = default_config_dir();
  cmd->add_option("words", options->words, "[experiment.yaml] [overrides...]");
  cmd->add_flag("-m,--multirun", options->request.multirun, "Sweep: comma lists and range() become axes");
  cmd->add_option("--jobs,-j", options->request.jobs,
                  "Jobs of a sweep at once (local: cores are divided among them; slurm: the array's %K limit)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--cfg", options->request.print_config, "Print the resolved config and exit");
  cmd->add_flag("--dry-run", options->request.dry_run, "List the jobs a sweep would launch and exit");
  cmd->add_option("--config-dir", options->request.config_dir, "Config folder (config.yaml + groups)");
  cmd->add_option("--resume", options->resume, "Resume a run or sweep directory");
  cmd->add_option("--run-dir", options->request.run_dir, "Run exactly here (used by the sweep launcher)")
      ->group("");  // hidden
  cmd->add_option("--resolved-config", options->request.resolved_config,
                  "Run this already composed config (used by the sweep launcher)")
      ->group("");  // hidden
  cmd->add_option("--sweep-task", options->sweep_task,
                  "Run job $SLURM_ARRAY_TASK_ID of this sweep directory (the Slurm launcher's array task)")
      ->group("");  // hidden
  cmd->callback([options, &exit_code] {
    if (!options->sweep_task.empty()) run_array_task(options->sweep_task);  // replaces this process
    if (!options->resume.empty()) {
      exit_code = resume(options->resume, options->request.jobs);
      return;
    }
    split_positionals(options->words, options->request);
    exit_code = launch(options->request);
  });
}

void add_train_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("train", "Resume a training run from its checkpoint (new runs: attnlab run)");
  auto resume_dir = std::make_shared<std::string>();
  cmd->add_option("--resume", *resume_dir, "Run directory to continue")->required();
  cmd->callback([resume_dir, &exit_code] { exit_code = resume(*resume_dir, 1); });
}

}  // namespace attnlab::cli
