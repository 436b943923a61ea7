#include "run/sweep_launcher.h"

#include <mutex>

#include "config/map_reader.h"
#include "run/local_launcher.h"
#include "run/slurm_launcher.h"

namespace attnlab {

namespace {

void register_builtin_launchers(Registry<SweepLauncherFactory>& registry) {
  registry.add("local", "child processes on this machine, -j at a time", [](const cfg::Node& section) {
    return std::unique_ptr<SweepLauncher>(new LocalLauncher(section));
  });
  registry.add("slurm", "one Slurm job array (sbatch), one array task per job", [](const cfg::Node& section) {
    return std::unique_ptr<SweepLauncher>(new SlurmLauncher(SlurmOptions::from_config(section)));
  });
}

}  // namespace

Registry<SweepLauncherFactory>& sweep_launchers() {
  static Registry<SweepLauncherFactory> registry("launcher");
  static std::once_flag once;
  std::call_once(once, [] { register_builtin_launchers(registry); });
  return registry;
}

std::string launcher_name(const cfg::Node& section) {
  if (section.is_null()) return "local";
  if (!section.is_map()) cfg::fail_at(section.source(), "launcher: expected a map");
  const cfg::Node* name = section.find("name");
  if (!name || !name->is_scalar()) cfg::fail_at(section.source(), "launcher: missing key 'name' (e.g. name: slurm)");
  return name->text();
}

std::unique_ptr<SweepLauncher> make_sweep_launcher(const cfg::Node& section) {
  const std::string name = launcher_name(section);
  const auto& registry = sweep_launchers();
  if (!registry.contains(name)) {
    const cfg::Node* key = section.find("name");
    cfg::fail_at(key->source(), "launcher.name: unknown launcher '" + name + "'" + did_you_mean(name, registry.names()) +
                                    "; registered: " + join(registry.names()));
  }
  return registry.get(name)(section);
}

}  // namespace attnlab
