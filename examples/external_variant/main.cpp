// An `attnlab` executable that also knows this project's mixer, Q/K source and eviction policy:
// every subcommand (run, train, eval, report, list, ...) works as in attnlab; `mixer=decay` selects
// configs/mixer/decay.yaml, `mixer=sinusoid_qk` configs/mixer/sinusoid_qk.yaml and `cache=knorm`
// configs/cache/knorm.yaml.
#include "cli/cli_main.h"
#include "decay_mixer.h"
#include "knorm_policy.h"
#include "registry.h"
#include "sinusoid_qk.h"

int main(int argc, char** argv) {
  attnlab::register_builtin_variants();
  example::register_decay_mixer();
  example::register_knorm_policy();
  example::register_sinusoid_qk();
  return attnlab::main(argc, argv);
}
