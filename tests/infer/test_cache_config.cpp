// The `cache:` config and the eval command's inputs: defaults, budgets per layer, and one-line
// UserErrors for bad input.
#include <fstream>

#include "config/yaml_loader.h"
#include "core/error.h"
#include "studies/budget_study.h"
#include "infer/cache_config.h"
#include "studies/trained_run.h"
#include "support/catch.h"
#include "support/temp_dir.h"
#include "support/tiny_model.h"

using namespace attnlab;

namespace {

CacheConfig cache_config(const std::string& yaml) {
  register_builtin_variants();
  return CacheConfig::from_config(cfg::parse_yaml(yaml, "cache.yaml"));
}

}  // namespace

TEST_CASE("budgets come from a token count or a ratio, spread over layers", "[cache_config]") {
  const CacheConfig c = cache_config("{name: scissorhands, ratio: 5}");
  CHECK(c.policy_name == "scissorhands");
  CHECK(c.layer_budgets(4, 256) == std::vector<int64_t>{52, 52, 52, 52});  // ceil(256 / 5)
  CHECK(c.budget.effective_ratio(256) == 5.0);
  CHECK(cache_config("{name: h2o, ratio: 2}").layer_budgets(1, 256) == std::vector<int64_t>{128});
  CHECK(cache_config("{name: h2o, budget: 40}").layer_budgets(2, 256) == std::vector<int64_t>{40, 40});
  CHECK(cache_config("{name: window, ratio: 5, layer_budget: pyramid}").layer_budgets(4, 256) ==
        std::vector<int64_t>{78, 61, 43, 26});
  CHECK(cache_config("{name: window, ratio: 5, layer_budget: ascending}").layer_budgets(4, 256) ==
        std::vector<int64_t>{26, 43, 61, 78});
  CHECK(cache_config("{name: full, ratio: 5}").layer_budgets(2, 100) == std::vector<int64_t>{100, 100});
  CHECK(cache_config("tova").policy_name == "tova");  // `cache: tova`
}

TEST_CASE("bad cache configs are one-line user errors", "[cache_config][errors]") {
  CHECK_THROWS_WITH(cache_config("{name: h2o, ratio: 0.5}"), Catch::Contains("cache.ratio") && Catch::Contains(">= 1"));
  CHECK_THROWS_WITH(cache_config("{name: h2o, budget: -3}"), Catch::Contains("cache.budget"));
  CHECK_THROWS_WITH(cache_config("{name: scisorhands}"), Catch::Contains("did you mean 'scissorhands'"));
  CHECK_THROWS_WITH(cache_config("{name: scissorhands, windw: 3}"), Catch::Contains("windw"));
  CHECK_THROWS_WITH(cache_config("{name: scissorhands, window: 0}"), Catch::Contains("cache.window"));
  CHECK_THROWS_WITH(cache_config("{name: tova, heads: all}"), Catch::Contains("cache.heads"));
  CHECK_THROWS_WITH(cache_config("{name: window, layer_budget: flat}"), Catch::Contains("layer_budget"));
  // budget <= the recent window
  CHECK_THROWS_WITH(cache_config("{name: scissorhands, budget: 10}").layer_budgets(2, 256),
                    Catch::Contains("must exceed the 10 tokens"));
  CHECK_THROWS_WITH(cache_config("{name: scissorhands, ratio: 5}").layer_budgets(2, 32),
                    Catch::Contains("from cache.ratio 5 at context 32"));
  CHECK_THROWS_WITH(cache_config("{name: h2o, budget: 4, recent: 4}").layer_budgets(1, 64), Catch::Contains("exceed"));
  CHECK_THROWS_WITH(cache_config("{name: streaming, budget: 4}").layer_budgets(1, 64), Catch::Contains("exceed"));
  for (const char* yaml : {"{name: h2o, ratio: 0.5}", "{name: scisorhands}"}) {
    try {
      cache_config(yaml);
      FAIL("no error");
    } catch (const UserError& e) {
      CHECK(std::string(e.what()).find('\n') == std::string::npos);
    }
  }
}

TEST_CASE("the eval config: the run's config plus the cache group and overrides", "[cache_config][eval]") {
  register_builtin_variants();
  testing::TempDir dir;
  dir.write("configs/cache/h2o.yaml", "name: h2o\nbudget: 0\nratio: 1\nlayer_budget: uniform\nrecent: 0\n");
  const std::string configs = dir / "configs";
  const cfg::Node run = cfg::parse_yaml("model: {d_model: 32}\neval: {max_windows: 8, batch_size: 4}\n", "config.yaml");

  cfg::Node root = compose_eval_config(run, {"cache=h2o", "cache.ratio=2", "eval.max_windows=3"}, configs);
  CHECK(root.find_path("cache.ratio")->text() == "2");
  CHECK(root.find_path("cache.recent")->text() == "0");
  CHECK(root.find_path("eval.max_windows")->text() == "3");
  // the group choice applies before the values, whatever the order
  CHECK(compose_eval_config(run, {"cache.ratio=4", "cache=h2o"}, configs).find_path("cache.ratio")->text() == "4");
  // no choice: the full cache; a policy without a file: its registered defaults
  CHECK(compose_eval_config(run, {}, configs).find_path("cache.name")->text() == "full");
  CHECK(compose_eval_config(run, {"cache=tova", "cache.ratio=3"}, configs).find_path("cache.ratio")->text() == "3");

  CHECK_THROWS_WITH(compose_eval_config(run, {"model.d_model=64"}, configs), Catch::Contains("cannot change 'model'"));
  CHECK_THROWS_WITH(compose_eval_config(run, {"cache=scisorhands"}, configs), Catch::Contains("did you mean"));
  CHECK_THROWS_WITH(compose_eval_config(run, {"cache=h2o", "cache.ratio=1,2"}, configs), Catch::Contains("-m"));
  CHECK_THROWS_WITH(compose_eval_config(run, {"cache=h2o", "cache.windw=3"}, configs), Catch::Contains("cache.windw"));
  CHECK_THROWS_AS(compose_eval_config(run, {"cache.budget"}, configs), UserError);
}

TEST_CASE("a missing run directory or checkpoint is a user error", "[eval][errors]") {
  testing::TempDir dir;
  CHECK_THROWS_WITH(TrainedRun::read_config(dir / "nope"), Catch::Contains("no such run directory"));
  CHECK_THROWS_WITH(TrainedRun::read_config(dir.path()), Catch::Contains("not a run directory"));
  dir.write("config.yaml", "seed: 1\n");
  CHECK_NOTHROW(TrainedRun::read_config(dir.path()));
  CHECK_THROWS_WITH(TrainedRun::load(dir.path(), RunConfig{}), Catch::Contains("no checkpoint"));
}

TEST_CASE("the /eval_budget columns are the documented ones", "[eval]") {
  CHECK(eval_budget_columns() == std::vector<std::string>{"policy", "budget", "ratio", "loss", "ppl", "kv_bytes",
                                                          "tokens_per_s", "layer_budget", "step", "accuracy"});
}
