#include "cli/cli_main.h"

#include <CLI/CLI.hpp>

#include <csignal>
#include <c10/util/Exception.h>

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "core/blas_core.h"
#include "core/error.h"
#include "registry.h"

namespace {

/// Debian's libtorch links the reference BLAS unless OpenBLAS is installed; it is ~10x slower.
void warn_if_reference_blas() {
  std::error_code ec;
  const auto target = std::filesystem::canonical("/usr/lib/x86_64-linux-gnu/libblas.so.3", ec);
  if (!ec && target.string().find("openblas") == std::string::npos && target.string().find("mkl") == std::string::npos) {
    std::cerr << "warning: the active BLAS is " << target.string()
              << " (reference BLAS, ~10x slower): apt-get install libopenblas0-pthread\n";
  }
}

}  // namespace

namespace attnlab {

int main(int argc, char** argv) {
  // Before anything else: may re-execute with OPENBLAS_CORETYPE when OpenBLAS fell back to
  // generic kernels on a CPU it does not know (3x slower training; core/blas_core.h).
  blas::ensure_fast_kernels(argv);
  // A full disk or a file-size limit (ulimit -f) must fail the write that hits it, with an error
  // message, not kill the process with SIGXFSZ before it can record anything.
  std::signal(SIGXFSZ, SIG_IGN);
  attnlab::register_builtin_variants();
  warn_if_reference_blas();
  CLI::App app{"attnlab: train and compare attention ablations (see README.md)"};
  app.require_subcommand(1);
  int exit_code = 0;
  attnlab::cli::add_run_command(app, exit_code);
  attnlab::cli::add_train_command(app, exit_code);
  attnlab::cli::add_list_command(app, exit_code);
  attnlab::cli::add_report_command(app, exit_code);
  attnlab::cli::add_eval_command(app, exit_code);
  attnlab::cli::add_generate_command(app, exit_code);
  attnlab::cli::add_analyze_command(app, exit_code);
  attnlab::cli::add_completion_command(app, exit_code);
  attnlab::cli::add_plan_command(app, exit_code);
  attnlab::cli::add_prepare_data_command(app, exit_code);
  app.footer(
      "Examples:\n"
      "  attnlab run experiments/quickstart.yaml             # a study, then its table: attnlab report <dir>\n"
      "  attnlab run -m mixer=softmax,taylor seed='range(0,3)' -j 2\n"
      "  attnlab list mixers                                 # what mixer=/mixer.name= accept\n"
      "  attnlab eval RUN_DIR -m cache=h2o,scissorhands cache.ratio=2,5\n"
      "  source <(attnlab completion bash)                   # tab completion of keys and options\n"
      "Every command has --help with examples. Docs: README.md, docs/ (studies/, reliability.md).");
  try {
    if (argc > 1 && argv[1][0] != '-') {
      std::vector<std::string> commands;
      for (const CLI::App* command : app.get_subcommands({})) commands.push_back(command->get_name());
      if (std::find(commands.begin(), commands.end(), argv[1]) == commands.end()) {
        throw attnlab::UserError(std::string("unknown command '") + argv[1] + "'" +
                                 attnlab::did_you_mean(argv[1], commands) + "; commands: " + attnlab::join(commands));
      }
    }
    app.parse(argc, argv);
    return exit_code;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::cerr << "error: " << e.what() << " (see attnlab --help or attnlab <command> --help)" << std::endl;
    return attnlab::kUserErrorExitCode;
  } catch (const attnlab::UserError& e) {
    std::cerr << "error: " << e.what() << std::endl;
    return attnlab::kUserErrorExitCode;
  } catch (const std::filesystem::filesystem_error& e) {
    // a folder that cannot be created or read (permissions, a file in the way, a full disk)
    std::cerr << "error: " << e.what() << std::endl;
    return attnlab::kUserErrorExitCode;
  } catch (const c10::Error& e) {
    std::cerr << "error: " << e.what_without_backtrace() << std::endl;
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << std::endl;
    return 1;
  }
}

}  // namespace attnlab
