#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "core/error.h"
#include "results/run_reader.h"
#include "results/run_store.h"
#include "temp_dir.h"

static const double kNaN = std::numeric_limits<double>::quiet_NaN();  // /eval accuracy of a text run

using namespace attnlab;
using namespace attnlab::results;

namespace {

RunInfo sample_info() {
  RunInfo info;
  info.config_yaml = "mixer:\n  name: taylor\ntrain:\n  lr: 0.001\n";
  info.overrides_yaml = "- mixer=taylor\n";
  info.git_sha = "abc123";
  info.torch_version = "2.3.1";
  info.threads = "intra=2 inter=1";
  info.seed = 42;
  info.n_params = 812345;
  return info;
}

}  // namespace

TEST_CASE("a run file is read back exactly", "[run_store]") {
  test::TempDir dir;
  const std::string path = dir.file("run.h5");
  {
    RunStore store = RunStore::create(path, sample_info());
    for (int64_t step = 0; step < 1500; ++step)
      store.append("/train", {step, step * 512, 4.0 / (1.0 + step), 1e-3 * step, 0.25, 12345.5, 0.01 * step});
    store.append("/eval", {int64_t(500), std::string("val"), 1.5, 4.4816890703380645, 2.1640425613334453, 0.25, 0.75, kNaN, kNaN, kNaN});
    store.append("/eval", {int64_t(1000), std::string("train"), 1.25, 3.4903429574618414, 1.8033688011112042, kNaN, kNaN, kNaN, kNaN, kNaN});
    store.append("/eval", {int64_t(1000), std::string("väl ünïcode"), 1.0, 2.718281828459045, 1.4426950408889634, kNaN, kNaN, kNaN, kNaN, kNaN});
    store.set_attribute("n_params", int64_t(900000));
    store.set_attribute("note", 0.5);
    store.mark_completed();
  }
  RunReader reader(path);
  CHECK(reader.string_attribute("status") == "completed");
  CHECK(reader.string_attribute("error") == "");
  CHECK(reader.string_attribute("config_yaml") == sample_info().config_yaml);
  CHECK(reader.string_attribute("overrides") == "- mixer=taylor\n");
  CHECK(reader.string_attribute("git_sha") == "abc123");
  CHECK(reader.string_attribute("torch_version") == "2.3.1");
  CHECK(reader.string_attribute("threads") == "intra=2 inter=1");
  CHECK(reader.int_attribute("seed") == 42);
  CHECK(reader.int_attribute("n_params") == 900000);
  CHECK(reader.int_attribute("schema_version") == kSchemaVersion);
  CHECK(*reader.attribute("note") == Value(0.5));
  CHECK_FALSE(reader.string_attribute("started_at").empty());
  CHECK_FALSE(reader.string_attribute("finished_at").empty());
  CHECK_FALSE(reader.attribute("nonexistent"));

  CHECK(reader.table_names() == std::vector<std::string>{"/eval", "/train"});
  REQUIRE(reader.rows("/train") == 1500);
  const auto steps = reader.ints("/train", "step");
  const auto loss = reader.doubles("/train", "loss");
  const auto lr = reader.doubles("train", "lr");
  for (int64_t step = 0; step < 1500; ++step) {
    REQUIRE(steps[step] == step);
    REQUIRE(loss[step] == 4.0 / (1.0 + step));
    REQUIRE(lr[step] == 1e-3 * step);
  }
  CHECK(reader.doubles("/train", "tokens")[1499] == 1499.0 * 512);
  CHECK(reader.strings("/eval", "split") == std::vector<std::string>{"val", "train", "väl ünïcode"});
  CHECK(reader.doubles("/eval", "accuracy")[0] == 0.25);  // a task run's columns round-trip; text rows hold NaN
  CHECK(std::isnan(reader.doubles("/eval", "answer_loss")[1]));
  CHECK(reader.doubles("/eval", "ppl") ==
        std::vector<double>{4.4816890703380645, 3.4903429574618414, 2.718281828459045});
  const auto columns = reader.columns("/eval");
  REQUIRE(columns.size() == eval_columns().size());
  for (size_t i = 0; i < columns.size(); ++i) {
    CHECK(columns[i].name == eval_columns()[i].name);
    CHECK(columns[i].type == eval_columns()[i].type);
  }
}

TEST_CASE("extra tables are defined once, nested groups included", "[run_store]") {
  test::TempDir dir;
  const std::string path = dir.file("run.h5");
  const std::vector<Column> columns = {{"layer", ColumnType::Int64}, {"ratio", ColumnType::Float64},
                                       {"policy", ColumnType::String}};
  {
    RunStore store = RunStore::create(path, sample_info());
    store.define_table("/analysis/persistence", columns);
    store.define_table("/analysis/persistence", columns);  // same columns: no-op
    store.append("/analysis/persistence", {int64_t(0), 0.75, std::string("h2o")});
    store.append("/analysis/persistence", {int64_t(1), int64_t(1), std::string("tova")});  // int64 -> float64
    CHECK(store.rows("/analysis/persistence") == 2);
    CHECK_THROWS_WITH(store.define_table("/analysis/persistence", {{"layer", ColumnType::Float64}}),
                      Catch::Contains("exists with columns"));
  }
  RunReader reader(path);
  CHECK(reader.table_names() == std::vector<std::string>{"/analysis/persistence", "/eval", "/train"});
  CHECK(reader.doubles("/analysis/persistence", "ratio") == std::vector<double>{0.75, 1.0});
  CHECK(reader.strings("/analysis/persistence", "policy") == std::vector<std::string>{"h2o", "tova"});
  CHECK(reader.string_attribute("status") == "running");  // never marked
}

TEST_CASE("wrong rows are refused with the column named", "[run_store]") {
  test::TempDir dir;
  RunStore store = RunStore::create(dir.file("run.h5"), sample_info());
  CHECK_THROWS_WITH(store.append("/eval", {int64_t(1), 2.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0}),
                    Catch::Contains("/eval/split is string, got float64"));
  CHECK_THROWS_WITH(store.append("/eval", {1.5, std::string("val"), 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0}),
                    Catch::Contains("/eval/step is int64, got float64"));
  CHECK_THROWS_WITH(store.append("/eval", {int64_t(1), std::string("val")}), Catch::Contains("got a row of 2 values"));
  CHECK_THROWS_WITH(store.append("/evals", {int64_t(1)}), Catch::Contains("did you mean '/eval'"));
  CHECK_THROWS_AS(store.define_table("/empty", {}), std::invalid_argument);
  CHECK(store.rows("/eval") == 0);
}

TEST_CASE("status goes running -> completed | failed, and back to running on resume", "[run_store]") {
  test::TempDir dir;
  const std::string path = dir.file("run.h5");
  {
    RunStore store = RunStore::create(path, sample_info());
    store.append("/train", {int64_t(1), int64_t(64), 3.0, 1e-3, 1.0, 100.0, 0.5});
    store.flush();
    CHECK(RunReader(path).string_attribute("status") == "running");
    store.mark_failed("out of memory at step 1");
  }
  {
    RunReader reader(path);
    CHECK(reader.string_attribute("status") == "failed");
    CHECK(reader.string_attribute("error") == "out of memory at step 1");
  }
  {
    RunStore store = RunStore::open(path);
    CHECK(RunReader(path).string_attribute("status") == "running");
    CHECK(RunReader(path).string_attribute("error") == "");
    store.append("/train", {int64_t(2), int64_t(128), 2.5, 1e-3, 1.0, 100.0, 1.0});
    store.mark_completed();
  }
  RunReader reader(path);
  CHECK(reader.string_attribute("status") == "completed");
  CHECK(reader.ints("/train", "step") == std::vector<int64_t>{1, 2});
}

TEST_CASE("create refuses an existing file; open refuses a missing one", "[run_store]") {
  test::TempDir dir;
  const std::string path = dir.file("run.h5");
  { RunStore::create(path, sample_info()); }
  CHECK_THROWS_WITH(RunStore::create(path, sample_info()), Catch::Contains("already exists"));
  CHECK_THROWS_AS(RunStore::open(dir.file("missing.h5")), UserError);
  CHECK_THROWS_AS(RunStore::create(dir.file("no/such/dir/run.h5"), sample_info()), UserError);
}

TEST_CASE("a store is movable", "[run_store]") {
  test::TempDir dir;
  const std::string path = dir.file("run.h5");
  {
    RunStore first = RunStore::create(path, sample_info());
    RunStore second = std::move(first);
    second.append("/eval", {int64_t(3), std::string("val"), 1.0, 2.0, 3.0, kNaN, kNaN, kNaN, kNaN, kNaN});
  }
  CHECK(RunReader(path).rows("/eval") == 1);
}
