// An `attnlab` executable that also knows this project's mixer: every subcommand (run, train,
// eval, report, list, ...) works as in attnlab, and `mixer=decay` selects configs/mixer/decay.yaml.
#include "cli/cli_main.h"
#include "decay_mixer.h"
#include "registry.h"

int main(int argc, char** argv) {
  attnlab::register_builtin_variants();
  example::register_decay_mixer();
  return attnlab::main(argc, argv);
}
