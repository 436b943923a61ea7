#include <CLI/CLI.hpp>

#include <csignal>
#include <c10/util/Exception.h>

#include <filesystem>
#include <iostream>

#include "cli/commands.h"
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

int main(int argc, char** argv) {
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
  try {
    app.parse(argc, argv);
    return exit_code;
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : attnlab::kUserErrorExitCode;
  } catch (const attnlab::UserError& e) {
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
