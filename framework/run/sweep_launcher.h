#pragma once
/// The seam between a sweep directory and where its jobs run. A launcher runs the pending jobs
/// of a SweepDir, keeps its index.yaml current and prints the summary.
///
/// Chosen by the `launcher:` config section (group configs/launcher/: `local`, the default, or
/// `slurm`), whose `name:` key picks the implementation, so a site's own file
/// (configs/launcher/mycluster.yaml with `name: slurm` and its partition) works too. The section
/// is read from the sweep's base config (without swept values) and saved in sweep.yaml, so
/// `attnlab run --resume` uses the same launcher with the same options.

#include <functional>
#include <memory>
#include <string>

#include "config/node.h"
#include "core/registry.h"
#include "run/sweep_dir.h"

namespace attnlab {

/// A launcher could not start any job (sbatch missing or rejecting the array): a one-line
/// UserError after which the sweep's jobs are as they were, so a new sweep's directory is removed.
class SubmitError : public UserError {
 public:
  using UserError::UserError;
};

class SweepLauncher {
 public:
  virtual ~SweepLauncher() = default;

  /// Checks that the launcher can work here (e.g. its programs are installed) before any
  /// directory is made; SubmitError otherwise.
  virtual void check() const {}

  /// Runs every pending job of `sweep` (SweepJob::pending()). `parallel` is -j: jobs at once
  /// (0 = not given). Keeps index.yaml current, prints the summary and returns 0 when every job
  /// completed, else 1. SubmitError when no job could be started.
  virtual int operator()(SweepDir& sweep, int parallel) = 0;
};

/// Builds a launcher from its config section; checks every key (UserError with file:line).
using SweepLauncherFactory = std::function<std::unique_ptr<SweepLauncher>(const cfg::Node& section)>;

/// Launcher name → factory. The built-ins (local, slurm) are registered explicitly on first use;
/// a user's project may add its own.
Registry<SweepLauncherFactory>& sweep_launchers();

/// The launcher a `launcher:` section names (`name: local|slurm|...`; Null or absent = local).
std::unique_ptr<SweepLauncher> make_sweep_launcher(const cfg::Node& section);

/// The section's `name:` ("local" when the section is Null).
std::string launcher_name(const cfg::Node& section);

}  // namespace attnlab
