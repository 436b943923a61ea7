#pragma once
/// The default launcher (`launcher=local`): runs a sweep's jobs as child processes of this one,
/// -j at a time (cores divided among them through $ATTNLAB_THREADS), each `attnlab` with
/// SweepDir::job_arguments(); stdout/stderr are shared, prefixed with the job name when parallel.

#include "run/sweep_launcher.h"

namespace attnlab {

class LocalLauncher : public SweepLauncher {
 public:
  /// `section`: the `launcher:` config section (only `name: local`), or Null.
  explicit LocalLauncher(const cfg::Node& section);

  int operator()(SweepDir& sweep, int parallel) override;
};

}  // namespace attnlab
