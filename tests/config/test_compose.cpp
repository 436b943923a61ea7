// Hydra-like composition: defaults lists, experiments, command-line overrides.
#include <catch2/catch.hpp>

#include <filesystem>

#include "config/compose.h"
#include "test_util.h"

using namespace attnlab::cfg;
using attnlab::cfg::testing::error_of;
using attnlab::cfg::testing::TempDir;

namespace {

/// A small config tree: configs/{config.yaml, model/, mixer/, train/, cache/} + experiments/.
struct Fixture {
  TempDir dir;
  Fixture() {
    dir.write("configs/config.yaml",
              "defaults:\n  - model: tiny\n  - mixer: softmax\n  - train: default\n  - _self_\n"
              "seed: 0\nname: run_${mixer.name}\n");
    dir.write("configs/model/tiny.yaml", "d_model: 128\nn_layers: 4\n");
    dir.write("configs/model/small.yaml", "d_model: 256\nn_layers: 6\n");
    dir.write("configs/mixer/softmax.yaml", "name: softmax\nform: softmax\n");
    dir.write("configs/mixer/taylor.yaml", "name: taylor\nform: taylor\n");
    dir.write("configs/mixer/mlp.yaml", "name: mlp\nform: none\n");
    dir.write("configs/train/default.yaml", "lr: 0.001\nsteps: 100\n");
    dir.write("configs/cache/window.yaml", "policy: window\nbudget: 64\n");
  }
  Composition run(std::vector<std::string> overrides, const std::string& experiment = "") const {
    ComposeRequest request;
    request.config_dir = dir / "configs";
    request.experiment_file = experiment.empty() ? "" : dir / experiment;
    request.overrides = std::move(overrides);
    return compose(request);
  }
  std::string fail(std::vector<std::string> overrides, const std::string& experiment = "") const {
    return error_of([&] { run(overrides, experiment); });
  }
};

}  // namespace

TEST_CASE("compose: defaults list merges groups under their names, then _self_", "[config][compose]") {
  Fixture f;
  const Composition c = f.run({});
  CHECK(c.root.to_yaml() ==
        "model:\n  d_model: 128\n  n_layers: 4\nmixer:\n  name: softmax\n  form: softmax\n"
        "train:\n  lr: 0.001\n  steps: 100\nseed: 0\nname: run_softmax\n");
  CHECK(c.group_choices == std::map<std::string, std::string>{{"mixer", "softmax"}, {"model", "tiny"}, {"train", "default"}});
  CHECK(c.experiment_name == "default");
  CHECK(c.sweep.is_null());
}

TEST_CASE("compose: _self_ first lets groups override config.yaml's values", "[config][compose]") {
  Fixture f;
  f.dir.write("configs/config.yaml", "defaults:\n  - _self_\n  - model: tiny\nmodel:\n  d_model: 1\n  extra: 2\n");
  CHECK(f.run({}).root.to_yaml() == "model:\n  d_model: 128\n  extra: 2\n  n_layers: 4\n");
  f.dir.write("configs/config.yaml", "defaults:\n  - model: tiny\nmodel:\n  d_model: 1\n");
  CHECK(f.run({}).root.find_path("model.d_model")->text() == "1");
}

TEST_CASE("compose: command-line group=option replaces the choice", "[config][compose]") {
  Fixture f;
  const Composition c = f.run({"model=small", "mixer=taylor"});
  CHECK(c.root.find_path("model.d_model")->text() == "256");
  CHECK(c.root.find("name")->text() == "run_taylor");
  CHECK(c.group_choices.at("mixer") == "taylor");
  CHECK(c.overrides == std::vector<std::string>{"model=small", "mixer=taylor"});
}

TEST_CASE("compose: +group adds a group, ~group and group=null drop one", "[config][compose]") {
  Fixture f;
  CHECK(f.run({"+cache=window"}).root.find_path("cache.budget")->text() == "64");
  CHECK(f.run({"++cache=window"}).group_choices.at("cache") == "window");
  const Composition dropped = f.run({"~train"});
  CHECK_FALSE(dropped.root.has("train"));
  CHECK_FALSE(dropped.group_choices.count("train"));
  CHECK_FALSE(f.run({"train=null"}).root.has("train"));
  CHECK(f.fail({"cache=window"}) ==
        "command line: cache=window: group 'cache' is not in the defaults list; use +cache=window to add it");
  CHECK(f.fail({"+mixer=taylor"}) ==
        "command line: +mixer=taylor: group 'mixer' is already chosen (mixer=softmax); use ++ or drop the +");
  CHECK(f.fail({"~mixer=taylor"}) == "command line: ~mixer=taylor: group 'mixer' is softmax, not taylor");
}

TEST_CASE("compose: unknown option names the group, the closest option and all options", "[config][compose][errors]") {
  Fixture f;
  CHECK(f.fail({"mixer=softmx"}) ==
        "command line: mixer=softmx: no option 'softmx' in group 'mixer' (did you mean 'softmax'?) — options: "
        "mlp, softmax, taylor");
  CHECK(f.fail({"mixer=[1]"}) ==
        "command line: mixer=[1]: 'mixer' is a config group: expected an option name, got a list (set keys inside it "
        "with mixer.key=value)");
}

TEST_CASE("compose: defaults-list errors carry file:line", "[config][compose][errors]") {
  Fixture f;
  const std::string config = f.dir / "configs/config.yaml";
  f.dir.write("configs/config.yaml", "defaults:\n  - model: tiny\n  - modle: small\n");
  CHECK(f.fail({}) == config + ":3:5: defaults: unknown config group 'modle' (did you mean 'model'?) — groups: cache, "
                               "mixer, model, train");
  f.dir.write("configs/config.yaml", "defaults:\n  - model: tinyy\n");
  CHECK(f.fail({}) == config + ":2:12: defaults: no option 'tinyy' in group 'model' (did you mean 'tiny'?) — "
                               "options: small, tiny");
  f.dir.write("configs/config.yaml", "defaults:\n  - model: tiny\n  - model: small\n");
  CHECK(f.fail({}) == config + ":3:5: defaults: 'model' appears twice (first at line 2)");
  f.dir.write("configs/config.yaml", "defaults:\n  model: tiny\n");
  CHECK(f.fail({}) == config + ":2:3: defaults: expected a list, got a map");
}

TEST_CASE("compose: experiment defaults replace choices, its values win, its sweep is returned", "[config][compose]") {
  Fixture f;
  f.dir.write("experiments/study.yaml",
              "defaults:\n  - override mixer: taylor\n  - cache: window\ntrain:\n  lr: 0.01\n"
              "sweep:\n  seed: [0, 1]\n");
  const Composition c = f.run({}, "experiments/study.yaml");
  CHECK(c.experiment_name == "study");
  CHECK(c.root.find_path("mixer.name")->text() == "taylor");
  CHECK(c.root.find_path("train.lr")->text() == "0.01");
  CHECK(c.root.find_path("cache.policy")->text() == "window");
  CHECK_FALSE(c.root.has("sweep"));
  CHECK_FALSE(c.root.has("defaults"));
  CHECK(c.sweep.to_yaml() == "seed:\n  - 0\n  - 1\n");
  CHECK(c.root.keys() == std::vector<std::string>{"model", "mixer", "train", "seed", "name", "cache"});
}

TEST_CASE("compose: experiment _self_ position among its own groups", "[config][compose]") {
  Fixture f;
  f.dir.write("experiments/a.yaml", "defaults:\n  - _self_\n  - cache: window\ncache:\n  budget: 1\n  extra: 2\n");
  const Composition c = f.run({}, "experiments/a.yaml");
  CHECK(c.root.find_path("cache.budget")->text() == "64");
  CHECK(c.root.find_path("cache.extra")->text() == "2");
}

TEST_CASE("compose: command-line values win over the experiment, and the CLI group choice over its defaults", "[config][compose]") {
  Fixture f;
  f.dir.write("experiments/e.yaml", "defaults:\n  - mixer: taylor\ntrain:\n  lr: 0.01\n");
  const Composition c = f.run({"train.lr=0.5", "mixer=mlp"}, "experiments/e.yaml");
  CHECK(c.root.find_path("train.lr")->text() == "0.5");
  CHECK(c.root.find_path("mixer.name")->text() == "mlp");
}

TEST_CASE("compose: value overrides set, add, force-add and delete", "[config][compose]") {
  Fixture f;
  const Composition c = f.run({"model.d_model=64", "+train.warmup=10", "++train.steps=5", "++eval.every=2",
                               "~seed", "train.lr='fast'", "+model.plan=[0,1]", "~model.n_layers=4"});
  CHECK(c.root.to_yaml() ==
        "model:\n  d_model: 64\n  plan:\n    - 0\n    - 1\nmixer:\n  name: softmax\n  form: softmax\n"
        "train:\n  lr: fast\n  steps: 5\n  warmup: 10\nname: run_softmax\neval:\n  every: 2\n");
  CHECK(c.root.find_path("model.d_model")->source().str() == "command line");
}

TEST_CASE("compose: setting a map merges into it", "[config][compose]") {
  Fixture f;
  f.dir.write("configs/config.yaml", "opt:\n  lr: 0.1\n  steps: 100\n");
  CHECK(f.run({"opt={lr: 1}"}).root.find("opt")->to_yaml() == "lr: 1\nsteps: 100\n");
  CHECK(f.fail({"opt=[1]"}) == "command line: opt=[1]: opt: expected a map, got a list");
  CHECK(f.fail({"opt=3"}) == "command line: opt=3: opt: expected a map, got a scalar");
}

TEST_CASE("compose: struct mode errors for unknown and existing keys", "[config][compose][errors]") {
  Fixture f;
  CHECK(f.fail({"model.d_modle=3"}) ==
        "command line: model.d_modle=3: key 'model.d_modle' not in config (did you mean 'model.d_model'?)");
  CHECK(f.fail({"zzz.qqq=3"}) == "command line: zzz.qqq=3: key 'zzz.qqq' not in config (use +zzz.qqq=... to add a new key)");
  CHECK(f.fail({"+model.d_model=3"}) ==
        "command line: +model.d_model=3: key 'model.d_model' is already in config; use ++model.d_model=... or drop the +");
  CHECK(f.fail({"~model.nope"}).find("key 'model.nope' not in config") != std::string::npos);
  CHECK(f.fail({"~seed=1"}) == "command line: ~seed=1: 'seed' is 0, not 1");
  CHECK(f.fail({"+seed.x=1"}) == "command line: +seed.x=1: cannot add a key under 'seed', which is a scalar");
  CHECK(f.fail({"seed=1,2"}).find("did you forget -m?") != std::string::npos);
}

TEST_CASE("compose: a list where a map is expected", "[config][compose][errors]") {
  Fixture f;
  const std::string experiment = f.dir.write("experiments/bad.yaml", "model:\n  - 1\n  - 2\n");
  CHECK(f.fail({}, "experiments/bad.yaml") == experiment + ":2:3: model: expected a map, got a list");
  const std::string list_file = f.dir.write("experiments/list.yaml", "- a\n- b\n");
  CHECK(f.fail({}, "experiments/list.yaml") == list_file + ":1:1: expected a map at the top level, got a list");
}

TEST_CASE("compose: missing experiment, missing config dir, malformed group file", "[config][compose][errors]") {
  Fixture f;
  CHECK(f.fail({}, "experiments/nope.yaml") == "config file not found: " + (f.dir / "experiments/nope.yaml"));
  ComposeRequest request;
  request.config_dir = f.dir / "no_configs";
  CHECK(error_of([&] { compose(request); }) == "config directory not found: " + (f.dir / "no_configs"));
  const std::string bad = f.dir.write("configs/model/tiny.yaml", "d_model: 1\nd_model: 2\n");
  CHECK(f.fail({}) == bad + ":2:1: duplicate key 'd_model' (first at line 1)");
}

TEST_CASE("compose: interpolation errors surface with the config location", "[config][compose][errors]") {
  Fixture f;
  const std::string experiment = f.dir.write("experiments/i.yaml", "train:\n  steps: ${model.n_layer}\n");
  CHECK(f.fail({}, "experiments/i.yaml") ==
        experiment + ":2:10: cannot resolve ${model.n_layer} (did you mean model.n_layers?)");
  const std::string cyclic = f.dir.write("experiments/c.yaml", "train:\n  steps: ${train.lr}\n  lr: ${train.steps}\n");
  CHECK(f.fail({}, "experiments/c.yaml") == cyclic + ":3:7: interpolation cycle: train.lr -> train.steps -> train.lr");
}

TEST_CASE("compose: plain config names and @package _global_ merge at the root", "[config][compose]") {
  Fixture f;
  f.dir.write("configs/base.yaml", "seed: 9\nextra: 1\n");
  f.dir.write("configs/cache/global.yaml", "# @package _global_\nseed: 5\n");
  f.dir.write("configs/config.yaml", "defaults:\n  - base\n  - cache: global\n");
  const Composition c = f.run({});
  CHECK(c.root.to_yaml() == "seed: 5\nextra: 1\n");
  CHECK(c.group_choices.at("cache") == "global");
}

TEST_CASE("compose does not write to disk", "[config][compose]") {
  Fixture f;
  f.dir.write("experiments/e.yaml", "sweep:\n  seed: [1, 2]\n");
  auto count = [&] {
    size_t n = 0;
    for (auto it = std::filesystem::recursive_directory_iterator(f.dir.str());
         it != std::filesystem::recursive_directory_iterator(); ++it)
      ++n;
    return n;
  };
  const size_t before = count();
  f.run({"model=small"}, "experiments/e.yaml");
  CHECK(count() == before);
}

// Found by fuzz/compose_fuzzer: a defaults name too long for the OS made compose() throw
// std::filesystem_error ("File name too long") instead of a located UserError.
TEST_CASE("compose: a config name too long for the file system is not found", "[config][compose][errors]") {
  Fixture f;
  const std::string name(300, 'x');
  f.dir.write("configs/config.yaml", "defaults:\n  - " + name + "\n");
  CHECK(f.fail({}) == f.dir / "configs/config.yaml" + ":2:5: defaults: no config '" + name + "' in " +
                          f.dir / "configs");
  ComposeRequest request;
  request.config_dir = f.dir / name + "/" + name;
  CHECK(error_of([&] { compose(request); }) == "config directory not found: " + request.config_dir);
}
