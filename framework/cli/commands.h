#pragma once
/// The `attnlab` subcommands. Each file `<name>_command.cpp` adds one subcommand to the app;
/// its callback returns the process exit code through `exit_code`.

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace attnlab {
struct LaunchRequest;
}

namespace attnlab::cli {

/// Splits `run`'s positional words into an optional experiment file (the first word, ending in
/// .yaml/.yml, without '=') and overrides.
void split_positionals(const std::vector<std::string>& words, LaunchRequest& request);

void add_run_command(CLI::App& app, int& exit_code);
void add_train_command(CLI::App& app, int& exit_code);
void add_list_command(CLI::App& app, int& exit_code);
void add_report_command(CLI::App& app, int& exit_code);
void add_eval_command(CLI::App& app, int& exit_code);
void add_generate_command(CLI::App& app, int& exit_code);
void add_analyze_command(CLI::App& app, int& exit_code);
void add_completion_command(CLI::App& app, int& exit_code);
void add_plan_command(CLI::App& app, int& exit_code);
void add_prepare_data_command(CLI::App& app, int& exit_code);

}  // namespace attnlab::cli
