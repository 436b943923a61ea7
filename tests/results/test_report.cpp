#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "analysis/claims.h"
#include "analysis/flatten.h"
#include "analysis/perplexity_table.h"
#include "analysis/report.h"
#include "analysis/train_loss_plot.h"
#include "analysis/val_loss_plot.h"
#include "core/error.h"
#include "results/run_store.h"
#include "temp_dir.h"


static const double kNaN = std::numeric_limits<double>::quiet_NaN();  // /eval accuracy of a text run

using namespace attnlab;
using namespace attnlab::analysis;
namespace fs = std::filesystem;

namespace {

struct FakeRun {
  std::string mixer;
  int64_t seed;
  std::vector<double> val_ppl;  // one val eval per 100 steps
  std::string status = "completed";
  std::string error;
};

std::string config_for(const FakeRun& run, const std::string& dir) {
  return "mixer:\n  name: " + run.mixer + "\n  form: " + run.mixer + "\nmodel:\n  d_model: 128\nseed: " +
         std::to_string(run.seed) + "\nrun:\n  dir: " + dir + "\ntrain:\n  steps: 300\n  lr: 0.001\n";
}

void write_fake_run(const fs::path& dir, const FakeRun& run) {
  fs::create_directories(dir);
  results::RunInfo info;
  info.config_yaml = config_for(run, dir.string());
  info.seed = run.seed;
  info.n_params = 800000;
  results::RunStore store = results::RunStore::create((dir / "run.h5").string(), info);
  for (int64_t step = 1; step <= 3; ++step)
    store.append("/train", {step * 100, step * 100 * 256, 3.0, 1e-3, 1.0, 1000.0 * step, 1.0 * step});
  for (size_t i = 0; i < run.val_ppl.size(); ++i) {
    const int64_t step = static_cast<int64_t>(i + 1) * 100;
    store.append("/eval", {step, std::string("train"), 9.0, 9.0, 9.0, kNaN, kNaN, kNaN, kNaN, kNaN});
    store.append("/eval", {step, std::string("val"), std::log(run.val_ppl[i]), run.val_ppl[i], std::log2(run.val_ppl[i]), kNaN, kNaN, kNaN, kNaN, kNaN});
  }
  if (run.status == "completed") store.mark_completed();
  if (run.status == "failed") store.mark_failed(run.error);
  store.flush();
}

/// softmax × 2 seeds, taylor × 2 seeds completed, one taylor run failed.
void write_sweep(const fs::path& root) {
  write_fake_run(root / "mixer=softmax,seed=1", {"softmax", 1, {20, 10}});
  write_fake_run(root / "mixer=softmax,seed=2", {"softmax", 2, {22, 12}});
  write_fake_run(root / "mixer=taylor,seed=1", {"taylor", 1, {25, 13}});
  write_fake_run(root / "mixer=taylor,seed=2", {"taylor", 2, {26, 17}});
  write_fake_run(root / "mixer=taylor,seed=3", {"taylor", 3, {30}, "failed", "loss is NaN at step 150"});
}

std::vector<std::string> row_texts(const Table& table, size_t row) {
  std::vector<std::string> texts;
  for (const auto& cell : table.rows.at(row)) texts.push_back(cell.text);
  return texts;
}

}  // namespace

TEST_CASE("flattening a YAML config gives dotted keys in document order", "[report]") {
  const FlatConfig flat = flatten_yaml("b: 1\na:\n  x: [1, 2]\n  y:\n    z: hi\nn: ~\n", "t");
  CHECK(flat == FlatConfig{{"b", "1"}, {"a.x", "[1, 2]"}, {"a.y.z", "hi"}, {"n", "null"}});
  CHECK(flatten_yaml("", "t").empty());
  CHECK_THROWS_AS(flatten_yaml("a: [1,\n", "t"), UserError);
}

TEST_CASE("the report groups seeds into variants with mean ± std and Δ vs the baseline", "[report]") {
  test::TempDir dir;
  write_sweep(dir.path() / "sweep");
  ReportOptions options;
  options.paths = {(dir.path() / "sweep").string()};
  const Report report = build_report(options);

  CHECK(report.run_set.runs.size() == 5);
  CHECK(report.run_set.warnings.empty());
  CHECK(report.grouping.varying_keys == std::vector<std::string>{"mixer.name", "mixer.form"});
  REQUIRE(report.grouping.variants.size() == 2);
  CHECK(report.grouping.variants[0].label == "mixer=softmax");
  CHECK(report.grouping.variants[1].label == "mixer=taylor");

  REQUIRE(report.tables.size() == 1);
  const Table& table = report.tables[0];
  CHECK(table.columns ==
        std::vector<std::string>{"variant", "status", "seeds", "step", "val ppl", "val bpc", "Δ ppl", "params", "tokens/s"});
  REQUIRE(table.rows.size() == 3);
  CHECK(row_texts(table, 0) == std::vector<std::string>{"mixer=softmax", "completed", "2", "200", "11.00 ± 1.41",
                                                        "3.453 ± 0.186", "baseline", "800.0k", "2.0k"});
  CHECK(row_texts(table, 1) == std::vector<std::string>{"mixer=taylor", "completed", "2", "200", "15.00 ± 2.83",
                                                        "3.894 ± 0.274", "+4.00", "800.0k", "2.0k"});
  CHECK(row_texts(table, 2) == std::vector<std::string>{"mixer=taylor", "failed: loss is NaN at step 150", "1", "100",
                                                        "30.00", "4.907", "+19.00", "800.0k", "2.0k"});
  CHECK(*table.rows[1][4].value == Approx(15.0));
  CHECK(*table.rows[1][4].spread == Approx(std::sqrt(8.0)));
  CHECK_THAT(table.note, Catch::Contains("Δ ppl vs mixer=softmax"));

  REQUIRE(report.plots.size() == 2);
  // training loss: per variant a line over its completed seeds and the val dots beside it
  const LinePlot& train = report.plots[0];
  REQUIRE(train.series.size() == 4);
  CHECK(train.series[0].name == "mixer=softmax (n=2)");
  CHECK(train.series[0].x == std::vector<double>{100, 200, 300});
  CHECK(train.series[0].y == std::vector<double>{3.0, 3.0, 3.0});
  CHECK_FALSE(train.series[1].line);
  REQUIRE(train.series[1].y.size() == 2);  // mean val loss of the two seeds at steps 100, 200
  CHECK(train.series[1].y[0] == Approx((std::log(20.0) + std::log(22.0)) / 2));
  CHECK(train.series[1].y[1] == Approx((std::log(10.0) + std::log(12.0)) / 2));
  CHECK(train.series[1].color == train.series[0].color);
  // val loss: 2 thin + 1 mean per variant with 2 seeds; taylor has 3 runs with points: 3 thin + 1 mean.
  CHECK(report.plots[1].series.size() == 3 + 4);
}

TEST_CASE("the training-loss smoothing is a trailing mean that skips non-finite points", "[report]") {
  CHECK(trailing_mean({1, 2, 3, 4, 5}, 2) == std::vector<double>{1, 1.5, 2.5, 3.5, 4.5});
  CHECK(trailing_mean({1, 2, 3}, 0) == std::vector<double>{1, 2, 3});
  const auto gaps = trailing_mean({1, std::nan(""), 3, 5}, 2);
  CHECK(gaps == std::vector<double>{1, 1, 3, 4});
}

TEST_CASE("the baseline is a key=value match, with or without .name", "[report]") {
  test::TempDir dir;
  write_sweep(dir.path() / "sweep");
  ReportOptions options;
  options.paths = {(dir.path() / "sweep").string()};
  options.baseline = "mixer.form=taylor";
  const Report report = build_report(options);
  CHECK(report.grouping.variants[0].label == "mixer=taylor");
  const Table& table = report.tables[0];
  CHECK(table.rows[0][6].text == "baseline");
  CHECK(table.rows[2][6].text == "-4.00");

  options.baseline = "mixer";
  CHECK_THROWS_WITH(build_report(options), Catch::Contains("expected key=value"));
}

TEST_CASE("unreadable files are warnings; the other runs are still reported", "[report]") {
  test::TempDir dir;
  const fs::path root = dir.path() / "sweep";
  write_sweep(root);
  fs::create_directories(root / "garbage");
  std::ofstream(root / "garbage" / "run.h5") << "not hdf5";
  fs::create_directories(root / "cut");
  fs::copy_file(root / "mixer=softmax,seed=1" / "run.h5", root / "cut" / "run.h5");
  fs::resize_file(root / "cut" / "run.h5", fs::file_size(root / "cut" / "run.h5") / 2);

  ReportOptions options;
  options.paths = {root.string()};
  options.out_dir = (dir.path() / "out").string();
  std::ostringstream out, err;
  CHECK(run_report(options, out, err) == 0);
  CHECK_THAT(err.str(), Catch::Contains("garbage/run.h5: not an HDF5 file (skipped)"));
  CHECK_THAT(err.str(), Catch::Contains("cut/run.h5: truncated or corrupt HDF5 file"));
  CHECK_THAT(out.str(), Catch::Contains("| mixer=taylor | completed | 2 | 200 | 15.00 ± 2.83 |"));
  for (const char* name : {"report.md", "report.csv", "report.tex", "report.html"})
    CHECK(fs::file_size(dir.path() / "out" / name) > 0);

  std::ifstream html_file(dir.path() / "out" / "report.html");
  const std::string html((std::istreambuf_iterator<char>(html_file)), std::istreambuf_iterator<char>());
  CHECK_THAT(html, Catch::Contains("<svg"));
  CHECK_THAT(html, Catch::Contains("<polyline class=\"series\""));
  CHECK_THAT(html, Catch::Contains("failed: loss is NaN at step 150"));
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("http://") == html.find("http://www.w3.org/2000/svg"));
  CHECK(html.find("https://") == std::string::npos);
}

TEST_CASE("no runs at all is a clear error", "[report]") {
  test::TempDir dir;
  fs::create_directories(dir.path() / "empty");
  ReportOptions options;
  options.paths = {(dir.path() / "empty").string()};
  CHECK_THROWS_MATCHES(build_report(options), UserError,
                       Catch::Message("no run.h5 files under " + (dir.path() / "empty").string()));
  options.paths = {(dir.path() / "missing").string()};
  CHECK_THROWS_WITH(build_report(options), Catch::Contains("no such file or directory"));

  std::ofstream(dir.path() / "empty" / "run.h5") << "junk";
  options.paths = {(dir.path() / "empty").string()};
  CHECK_THROWS_WITH(build_report(options), Catch::Contains("none of the 1 run files could be read"));
}

TEST_CASE("a running run and a single variant are shown", "[report]") {
  test::TempDir dir;
  write_fake_run(dir.path() / "a", {"softmax", 1, {20, 10}, "running"});
  ReportOptions options;
  options.paths = {dir.path().string()};
  const Report report = build_report(options);
  REQUIRE(report.tables[0].rows.size() == 1);
  CHECK(row_texts(report.tables[0], 0)[0] == "all runs");
  CHECK(row_texts(report.tables[0], 0)[1] == "running");
  CHECK(row_texts(report.tables[0], 0)[6] == "—");
  CHECK_THAT(report.tables[0].note, Catch::Contains("No Δ"));
  CHECK(default_out_dir(options.paths) == (dir.path() / "report").string());
}

namespace {

/// A run chosen with `mixer=<preset>` on the command line: the config holds only the preset's
/// contents (name: attention, form: ...), the override holds the preset's name.
/// With hit_ppl > 0 the run logs the AR-hit split: hit_ppl and other_ppl (share 0.25); its skip
/// row, twice each.
void write_preset_run(const fs::path& dir, const std::string& preset, const std::string& form,
                      const std::string& placement, double ppl, double skip_ppl, int64_t seed, double hit_ppl = 0,
                      double other_ppl = 0) {
  fs::create_directories(dir);
  results::RunInfo info;
  info.config_yaml = "mixer:\n  name: attention\n  form: " + form + "\nhybrid:\n  mixer: softmax\n  layers: " +
                     placement + "\nseed: " + std::to_string(seed) + "\n";
  info.overrides_yaml = "- mixer=" + preset + "\n- hybrid.layers=" + placement + "\n";
  info.seed = seed;
  results::RunStore store = results::RunStore::create((dir / "run.h5").string(), info);
  const double hit = hit_ppl > 0 ? std::log(hit_ppl) : kNaN, other = hit_ppl > 0 ? std::log(other_ppl) : kNaN,
               share = hit_ppl > 0 ? 0.25 : kNaN, twice = std::log(2.0);
  store.append("/eval", {int64_t{100}, std::string("val"), std::log(ppl), ppl, 1.0, kNaN, kNaN, hit, other, share});
  if (skip_ppl > 0)
    store.append("/eval", {int64_t{100}, std::string("val_skip"), std::log(skip_ppl), skip_ppl, 1.0, kNaN, kNaN,
                           hit + twice, other + twice, share});
  store.mark_completed();
  store.flush();
}

}  // namespace

TEST_CASE("runs are labelled by the preset chosen for a group; Table 1 pivots uniform / hybrid / skip", "[report]") {
  test::TempDir dir;
  const fs::path root = dir.path() / "study";
  write_preset_run(root / "a", "softmax", "softmax", "none", 10.0, 0, 0);
  write_preset_run(root / "b", "approximate", "taylor", "none", 14.0, 0, 0);
  write_preset_run(root / "c", "approximate", "taylor", "none", 16.0, 0, 1);
  write_preset_run(root / "d", "approximate", "taylor", "even", 11.0, 90.0, 0);
  ReportOptions options;
  options.paths = {root.string()};
  const Report report = build_report(options);
  std::vector<std::string> labels;
  for (const auto& variant : report.grouping.variants) labels.push_back(variant.label);
  // softmax is the default baseline, so it comes first
  CHECK(labels == std::vector<std::string>{"mixer=softmax, hybrid.layers=none", "mixer=approximate, hybrid.layers=even",
                                           "mixer=approximate, hybrid.layers=none"});
  const Table* table1 = nullptr;
  for (const auto& table : report.tables)
    if (table.name == "deconstructing") table1 = &table;
  REQUIRE(table1 != nullptr);
  REQUIRE(table1->rows.size() == 2);
  CHECK(row_texts(*table1, 0) == std::vector<std::string>{"softmax", "10.00", "—", "—", "—", "—"});
  CHECK(row_texts(*table1, 1) == std::vector<std::string>{"approximate", "15.00 ± 1.41", "11.00", "90.00", "—", "—"});
}

TEST_CASE("text runs with the AR-hit split: columns in the perplexity table and Table 1 on AR hits", "[report]") {
  test::TempDir dir;
  const fs::path root = dir.path() / "study";
  write_preset_run(root / "a", "softmax", "softmax", "none", 10.0, 0, 0, 3.0, 12.0);
  write_preset_run(root / "b", "softmax", "softmax", "none", 10.0, 0, 1, 5.0, 14.0);
  write_preset_run(root / "c", "mlp", "softmax", "even", 11.0, 40.0, 0, 8.0, 11.5);
  ReportOptions options;
  options.paths = {root.string()};
  const Report report = build_report(options);
  const Table* ppl = nullptr;
  const Table* hits = nullptr;
  for (const auto& table : report.tables) {
    if (table.name == "perplexity") ppl = &table;
    if (table.name == "deconstructing_ar_hits") hits = &table;
  }
  REQUIRE(ppl != nullptr);
  const std::vector<std::string> ppl_columns{"variant", "status",     "seeds",     "step",  "val ppl", "val bpc",
                                             "AR-hit ppl", "other ppl", "AR-hit %", "Δ ppl", "params", "tokens/s"};
  CHECK(ppl->columns == ppl_columns);
  const auto softmax = row_texts(*ppl, 0);
  CHECK(std::vector<std::string>(softmax.begin() + 6, softmax.begin() + 9) ==
        std::vector<std::string>{"4.00 ± 1.41", "13.00 ± 1.41", "25.0"});
  REQUIRE(hits != nullptr);
  REQUIRE(hits->rows.size() == 2);
  CHECK(row_texts(*hits, 0) == std::vector<std::string>{"softmax", "4.00 ± 1.41", "13.00 ± 1.41", "—", "—", "—", "—"});
  CHECK(row_texts(*hits, 1) == std::vector<std::string>{"mlp", "—", "—", "8.00", "11.50", "16.00", "23.00"});
  CHECK(claim_metrics().count("ar_hit_ppl") == 1);
}

namespace {

/// A dcp run with sparsity weight `lambda`: val ppl, /sparsity rows at steps 100 and 200 (the
/// report must use the last), and optionally a pruning map of 3 tokens in layer 0.
void write_dcp_run(const fs::path& dir, double lambda, double ppl, double dropped_layer0, double dropped_layer1,
                   bool with_map, double accuracy = kNaN) {
  fs::create_directories(dir);
  results::RunInfo info;
  info.config_yaml = "mixer:\n  name: dcp\n  lambda: " + std::to_string(lambda) + "\nseed: 0\n";
  results::RunStore store = results::RunStore::create((dir / "run.h5").string(), info);
  store.append("/eval", {int64_t{200}, std::string("val"), std::log(ppl), ppl, 1.0, accuracy, kNaN, kNaN, kNaN, kNaN});
  store.define_table("/sparsity", {{"step", results::ColumnType::Int64},
                                   {"layer", results::ColumnType::Int64},
                                   {"dropped_fraction", results::ColumnType::Float64},
                                   {"mean_keep", results::ColumnType::Float64}});
  store.append("/sparsity", {int64_t{100}, int64_t{0}, 0.9, 0.1});  // an earlier eval: ignored
  store.append("/sparsity", {int64_t{100}, int64_t{-1}, 0.9, 0.1});
  store.append("/sparsity", {int64_t{200}, int64_t{0}, dropped_layer0, 1 - dropped_layer0});
  store.append("/sparsity", {int64_t{200}, int64_t{1}, dropped_layer1, 1 - dropped_layer1});
  store.append("/sparsity", {int64_t{200}, int64_t{-1}, (dropped_layer0 + dropped_layer1) / 2,
                             1 - (dropped_layer0 + dropped_layer1) / 2});
  if (with_map) {
    store.define_table("/analysis/pruning", {{"sample", results::ColumnType::Int64},
                                             {"layer", results::ColumnType::Int64},
                                             {"position", results::ColumnType::Int64},
                                             {"token", results::ColumnType::String},
                                             {"dropped_at", results::ColumnType::Int64},
                                             {"dropped_share", results::ColumnType::Float64}});
    store.append("/analysis/pruning", {int64_t{0}, int64_t{0}, int64_t{0}, std::string("old"), int64_t{-1}, 0.0});
    // sample 1 is the latest: "In" dropped by query 1 (share 1), " the" kept, "<" (escaped) last
    store.append("/analysis/pruning", {int64_t{1}, int64_t{0}, int64_t{0}, std::string("In"), int64_t{1}, 1.0});
    store.append("/analysis/pruning", {int64_t{1}, int64_t{0}, int64_t{1}, std::string(" the"), int64_t{-1}, 0.0});
    store.append("/analysis/pruning", {int64_t{1}, int64_t{0}, int64_t{2}, std::string("<"), int64_t{-1}, 0.0});
  }
  store.mark_completed();
  store.flush();
}

}  // namespace

TEST_CASE("on a probe task the sparsity table shows the accuracy beside the pruned share", "[report]") {
  test::TempDir dir;
  const fs::path root = dir.path() / "dcp";
  write_dcp_run(root / "l0", 0.0, 1.0, 0.0, 0.0, false, 1.0);
  write_dcp_run(root / "l1", 10.0, 2.5, 0.85, 0.72, false, 0.86);
  ReportOptions options;
  options.paths = {root.string()};
  options.baseline = "";
  const Report report = build_report(options);
  const Table* sparsity = nullptr;
  for (const auto& table : report.tables)
    if (table.name == "sparsity") sparsity = &table;
  REQUIRE(sparsity != nullptr);
  CHECK(sparsity->columns == std::vector<std::string>{"variant", "runs", "val ppl", "val acc", "pruned %", "mean keep",
                                                      "layer 0 %", "layer 1 %"});
  CHECK(row_texts(*sparsity, 1) ==
        std::vector<std::string>{"mixer.lambda=10.000000", "1", "2.500", "0.8600", "78.5", "0.215", "85.0", "72.0"});
}

TEST_CASE("the sparsity table shows each variant's last /sparsity step next to its perplexity", "[report]") {
  test::TempDir dir;
  const fs::path root = dir.path() / "dcp";
  write_dcp_run(root / "l0", 0.0, 20.0, 0.0, 0.0, false);
  write_dcp_run(root / "l1", 1.0, 24.0, 0.5, 0.7, true);
  ReportOptions options;
  options.paths = {root.string()};
  options.baseline = "";
  const Report report = build_report(options);
  const Table* sparsity = nullptr;
  for (const auto& table : report.tables)
    if (table.name == "sparsity") sparsity = &table;
  REQUIRE(sparsity != nullptr);
  CHECK(sparsity->columns == std::vector<std::string>{"variant", "runs", "val ppl", "pruned %", "mean keep",
                                                      "layer 0 %", "layer 1 %"});
  REQUIRE(sparsity->rows.size() == 2);
  CHECK(row_texts(*sparsity, 0) == std::vector<std::string>{"mixer.lambda=0.000000", "1", "20.000", "0.0", "1.000", "0.0", "0.0"});
  CHECK(row_texts(*sparsity, 1) == std::vector<std::string>{"mixer.lambda=1.000000", "1", "24.000", "60.0", "0.400", "50.0", "70.0"});

  REQUIRE(report.figures.size() == 1);
  const Figure& map = report.figures[0];
  CHECK(map.name == "pruning_map");
  // the latest sample only; 3 tokens, "In" dropped for all later queries: 2 of the 3 causal pairs
  CHECK(map.markdown.find("layer 0 (67% pruned): [In] the<") != std::string::npos);
  CHECK(map.markdown.find("old") == std::string::npos);
  CHECK(map.html.find("rgba(200,30,30,1.00)\">In</span>") != std::string::npos);
  CHECK(map.html.find("&lt;</span>") != std::string::npos);
  CHECK(map.html.find("dropped from query 1 on") != std::string::npos);
}

TEST_CASE("missing_steps names the logged multiples a table lacks, as ranges", "[report]") {
  CHECK(missing_steps({10, 20, 30}, 10).empty());
  CHECK(missing_steps({10, 20, 25, 30, 33}, 10).empty());  // checkpoint and final rows are extra, not gaps
  CHECK(missing_steps({10, 20, 30}, 0).empty());
  CHECK(missing_steps({}, 10).empty());
  CHECK(missing_steps({10, 20, 60, 80}, 10) == "30-50, 70");
  CHECK(missing_steps({50}, 10) == "10-40");
  // against a naive set difference on random step sets
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<int64_t> steps;
    for (int64_t s = 1; s <= 60; ++s)
      if ((s * 7919 + trial * 104729) % 5 < 2) steps.push_back(s);
    if (steps.empty()) continue;
    std::string naive;
    for (int64_t want = 4; want <= steps.back(); want += 4)
      if (std::find(steps.begin(), steps.end(), want) == steps.end()) naive += std::to_string(want) + ",";
    std::string got = missing_steps(steps, 4), expanded;
    std::istringstream parts(got);
    for (std::string part; std::getline(parts, part, ',');) {
      if (part.front() == ' ') part.erase(0, 1);
      const size_t dash = part.find('-');
      const int64_t first = std::stoll(part.substr(0, dash)), last = dash == std::string::npos ? first : std::stoll(part.substr(dash + 1));
      for (int64_t s = first; s <= last; s += 4) expanded += std::to_string(s) + ",";
    }
    CHECK(expanded == naive);
  }
}

TEST_CASE("the report warns once per run whose /train has a hole, naming the run and the steps", "[report]") {
  test::TempDir dir;
  const fs::path run_dir = dir.path() / "holed";
  fs::create_directories(run_dir);
  results::RunInfo info;
  info.config_yaml = "mixer:\n  name: softmax\ntrain:\n  steps: 300\n  log_every: 10\n  eval_every: 100\n";
  results::RunStore store = results::RunStore::create((run_dir / "run.h5").string(), info);
  for (int64_t step = 10; step <= 300; step += 10)
    if (step <= 100 || step > 150) store.append("/train", {step, step * 256, 3.0, 1e-3, 1.0, 1000.0, 1.0});
  for (int64_t step = 100; step <= 300; step += 100) store.append("/eval", {step, std::string("val"), 2.0, 7.4, 2.9, kNaN, kNaN, kNaN, kNaN, kNaN});
  store.mark_completed();
  write_fake_run(dir.path() / "whole", {"softmax", 2, {20, 10, 9}});

  ReportOptions options;
  options.paths = {dir.path().string()};
  options.out_dir = (dir.path() / "out").string();
  std::ostringstream out, err;
  CHECK(run_report(options, out, err) == 0);
  const std::string expected = "warning: " + run_dir.string() + ": /train: no rows for steps 110-150\n";
  CHECK_THAT(err.str(), Catch::Contains(expected));
  CHECK(err.str().find("warning:") == err.str().rfind("warning:"));  // once, and not for the whole run
  std::ifstream md(dir.path() / "out" / "report.md");
  const std::string markdown((std::istreambuf_iterator<char>(md)), std::istreambuf_iterator<char>());
  CHECK_THAT(markdown, Catch::Contains("/train: no rows for steps 110-150"));
}

namespace {

/// A completed probe-task run with a final test accuracy.
void write_task_run(const fs::path& dir, const std::string& mixer, const std::string& task, int64_t pairs, double lr,
                    int64_t seed, double accuracy) {
  fs::create_directories(dir);
  results::RunInfo info;
  info.config_yaml = fmt::format("mixer:\n  name: {}\ndata:\n  task:\n    name: {}\n    num_kv_pairs: {}\n    seed: 0\n"
                                 "train:\n  lr: {}\nseed: {}\n", mixer, task, pairs, lr, seed);
  info.seed = seed;
  results::RunStore store = results::RunStore::create((dir / "run.h5").string(), info);
  store.set_attribute("chance_accuracy", 1.0 / 128);
  store.append("/eval", {int64_t{100}, std::string("val"), 1.0, 2.7, 1.4, accuracy, 0.5, kNaN, kNaN, kNaN});
  store.define_table("/eval_slices", {{"step", results::ColumnType::Int64}, {"split", results::ColumnType::String},
                                      {"slice", results::ColumnType::String}, {"accuracy", results::ColumnType::Float64},
                                      {"answers", results::ColumnType::Int64}});
  store.append("/eval_slices", {int64_t{100}, std::string("val"), std::string("dist 1-15"), accuracy, int64_t{10}});
  store.mark_completed();
}

}  // namespace

TEST_CASE("the accuracy table pivots mixer x task setting, keeps the best lr per cell and scores each task", "[report]") {
  test::TempDir dir;
  const fs::path root = dir.path() / "probes";
  int n = 0;
  auto add = [&](const std::string& mixer, int64_t pairs, double lr, int64_t seed, double accuracy) {
    write_task_run(root / std::to_string(n++), mixer, "mqar", pairs, lr, seed, accuracy);
  };
  for (int64_t seed : {0, 1}) {
    add("softmax", 4, 1e-3, seed, 0.90 + 0.02 * seed);  // mean 0.91
    add("softmax", 4, 3e-3, seed, 0.98 + 0.01 * seed);  // mean 0.985: the winner
    add("softmax", 8, 1e-3, seed, 0.715);
    add("softmax", 8, 3e-3, seed, 0.60);
    add("mlp", 4, 1e-3, seed, 0.01);
    add("mlp", 4, 3e-3, seed, 0.02);
    add("mlp", 8, 1e-3, seed, 0.01);
    add("mlp", 8, 3e-3, seed, 0.01);
  }
  ReportOptions options;
  options.paths = {root.string()};
  options.out_dir = (dir.path() / "out").string();
  options.best_of = "train.lr";
  const Report report = build_report(options);
  const Table* table = nullptr;
  for (const auto& t : report.tables)
    if (t.name == "accuracy") table = &t;
  REQUIRE(table);
  CHECK(table->columns == std::vector<std::string>{"mixer", "mqar num_kv_pairs=4", "mqar num_kv_pairs=8", "mqar score"});
  REQUIRE(table->rows.size() == 2);
  CHECK(row_texts(*table, 0) == std::vector<std::string>{"softmax", "0.985 ± 0.007 (0.003)", "0.715 ± 0.000 (0.001)", "0.850"});
  CHECK(row_texts(*table, 1)[0] == "mlp");
  CHECK(row_texts(*table, 1)[1] == "0.020 ± 0.000 (0.003)");
  const LinePlot* accuracy = nullptr;
  for (const auto& plot : report.plots)
    if (plot.title.rfind("Accuracy", 0) == 0) accuracy = &plot;
  REQUIRE(accuracy);  // per variant: 2 thin seeds + their mean
  CHECK(accuracy->series.size() == 3 * report.grouping.variants.size());
  CHECK(accuracy->series[2].y.size() == 1);
  CHECK(accuracy->series[2].y[0] == Approx((accuracy->series[0].y[0] + accuracy->series[1].y[0]) / 2));
  CHECK_THAT(table->note, Catch::Contains("Chance: mqar num_kv_pairs=4 0.0078"));

  options.best_of = "train.lrr";
  CHECK_THROWS_WITH(build_report(options), Catch::Contains("did you mean 'train.lr'"));
  options.best_of = "";  // without --best-of the lr axis splits the rows
  const Report split = build_report(options);
  for (const auto& t : split.tables)
    if (t.name == "accuracy") CHECK(t.rows.size() == 4);
}

namespace {

/// A completed MQAR run of `mixer`, uniform (placement "none") or hybrid, with its final test
/// accuracy and, for a hybrid, the accuracy with its variant layers skipped.
void write_hybrid_task_run(const fs::path& dir, const std::string& mixer, const std::string& placement, double lr,
                           int64_t seed, double accuracy, double skip_accuracy) {
  fs::create_directories(dir);
  results::RunInfo info;
  info.config_yaml = fmt::format("mixer:\n  name: {}\nhybrid:\n  mixer: softmax\n  layers: {}\ndata:\n  task:\n"
                                 "    name: mqar\n    num_kv_pairs: 8\ntrain:\n  lr: {}\nseed: {}\n",
                                 mixer, placement, lr, seed);
  info.seed = seed;
  results::RunStore store = results::RunStore::create((dir / "run.h5").string(), info);
  store.append("/eval", {int64_t{100}, std::string("val"), 1.0, 2.7, 1.4, accuracy, 0.5, kNaN, kNaN, kNaN});
  if (placement != "none")
    store.append("/eval", {int64_t{100}, std::string("val_skip"), 3.0, 20.1, 4.3, skip_accuracy, 3.0, kNaN, kNaN, kNaN});
  store.mark_completed();
}

std::vector<std::string> row_named(const Table& table, const std::string& name) {
  for (size_t i = 0; i < table.rows.size(); ++i)
    if (table.rows[i][0].text == name) return row_texts(table, i);
  return {};
}

}  // namespace

TEST_CASE("the hybrid accuracy table pivots uniform / hybrid / skip, and skip follows the hybrid's best lr", "[report]") {
  test::TempDir dir;
  const fs::path root = dir.path() / "probes";
  int n = 0;
  auto add = [&](const std::string& mixer, const std::string& placement, double lr, int64_t seed, double accuracy,
                 double skip) {
    write_hybrid_task_run(root / fmt::format("{:02d}", n++), mixer, placement, lr, seed, accuracy, skip);
  };
  for (int64_t seed : {0, 1}) {
    add("softmax", "none", 1e-3, seed, seed ? 0.97 : 0.99, 0);
    add("sigmoid", "none", 1e-3, seed, seed ? 0.12 : 0.14, 0);
    add("sigmoid", "none", 3e-3, seed, 0.30, 0);                            // the uniform winner
    add("sigmoid", "even", 1e-3, seed, seed ? 0.97 : 0.95, seed ? 0.12 : 0.10);  // the hybrid winner
    add("sigmoid", "even", 3e-3, seed, 0.50, 0.90);                         // its skip must not be shown
  }
  ReportOptions options;
  options.paths = {root.string()};
  options.out_dir = (dir.path() / "out").string();
  options.best_of = "train.lr";
  auto find = [](const Report& report) -> const Table* {
    for (const auto& t : report.tables)
      if (t.name == "hybrid_accuracy") return &t;
    return nullptr;
  };
  const Report report = build_report(options);
  const Table* table = find(report);
  REQUIRE(table);
  CHECK(table->columns == std::vector<std::string>{"mixer", "uniform", "softmax@even", "softmax@even skip"});
  REQUIRE(table->rows.size() == 2);
  CHECK(row_named(*table, "softmax") == std::vector<std::string>{"softmax", "0.980 ± 0.014 (0.001)", "—", "—"});
  CHECK(row_named(*table, "sigmoid") ==
        std::vector<std::string>{"sigmoid", "0.300 ± 0.000 (0.003)", "0.960 ± 0.014 (0.001)", "0.110 ± 0.014"});

  options.best_of = "";  // pooled over the lr axis: the lr then splits rows, as in the accuracy table
  const Report pooled = build_report(options);
  const Table* split = find(pooled);
  REQUIRE(split);
  CHECK(row_named(*split, "sigmoid, train.lr=0.003") ==
        std::vector<std::string>{"sigmoid, train.lr=0.003", "0.300 ± 0.000", "0.500 ± 0.000", "0.900 ± 0.000"});

  // uniform runs alone: no table
  test::TempDir only_uniform;
  write_hybrid_task_run(only_uniform.path() / "a", "softmax", "none", 1e-3, 0, 0.99, 0);
  options.paths = {only_uniform.path().string()};
  CHECK(find(build_report(options)) == nullptr);
}
