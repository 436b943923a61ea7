#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <tuple>
#include <algorithm>

#include "analysis/claims.h"
#include "analysis/report.h"
#include "core/error.h"
#include "results/run_store.h"
#include "temp_dir.h"

using namespace attnlab;
using namespace attnlab::analysis;
namespace fs = std::filesystem;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Simpson's rule with n (even) intervals: the naive reference for the closed forms.
template <class F>
double simpson(F f, double lo, double hi, int n = 200000) {
  const double h = (hi - lo) / n;
  double sum = f(lo) + f(hi);
  for (int i = 1; i < n; ++i) sum += f(lo + i * h) * (i % 2 ? 4 : 2);
  return sum * h / 3;
}

/// P(T > t) for Student's t with df degrees of freedom, by integrating its density from 0 to |t|.
double naive_t_tail(double t, double df) {
  const double c = std::exp(std::lgamma((df + 1) / 2) - std::lgamma(df / 2)) / std::sqrt(df * M_PI);
  const double inner = simpson([&](double x) { return c * std::pow(1 + x * x / df, -(df + 1) / 2); }, 0, std::fabs(t));
  return t >= 0 ? 0.5 - inner : 0.5 + inner;
}

/// Welch's t and degrees of freedom written out from the definition.
std::pair<double, double> naive_welch(const std::vector<double>& a, const std::vector<double>& b) {
  auto moments = [](const std::vector<double>& v) {
    double mean = 0, ss = 0;
    for (double x : v) mean += x / v.size();
    for (double x : v) ss += (x - mean) * (x - mean);
    return std::pair{mean, ss / (v.size() - 1) / v.size()};  // mean, variance of the mean
  };
  const auto [ma, va] = moments(a);
  const auto [mb, vb] = moments(b);
  const double df = (va + vb) * (va + vb) / (va * va / (a.size() - 1) + vb * vb / (b.size() - 1));
  return {(ma - mb) / std::sqrt(va + vb), df};
}

void write_run(const fs::path& dir, const std::string& mixer, int64_t seed, double ppl, double accuracy = kNaN,
               double skip_accuracy = kNaN) {
  fs::create_directories(dir);
  results::RunInfo info;
  info.config_yaml = fmt::format("mixer:\n  name: {}\nhybrid:\n  layers: none\ntrain:\n  lr: 0.001\nseed: {}\n", mixer, seed);
  info.seed = seed;
  results::RunStore store = results::RunStore::create((dir / "run.h5").string(), info);
  store.append("/eval", {int64_t{100}, std::string("val"), std::log(ppl), ppl, std::log2(ppl), accuracy, kNaN, kNaN, kNaN, kNaN});
  if (std::isfinite(skip_accuracy))
    store.append("/eval", {int64_t{100}, std::string("val_skip"), 5.0, 148.4, 7.2, skip_accuracy, kNaN, kNaN, kNaN, kNaN});
  store.mark_completed();
}

std::vector<Claim> claims_from(const std::string& yaml) { return parse_claims(YAML::Load(yaml), "study.yaml"); }

/// The message of the UserError that parsing `yaml` throws, or "no error".
std::string claims_error(const std::string& yaml) {
  try {
    claims_from(yaml);
  } catch (const UserError& e) {
    return std::string(e.what());
  }
  return std::string("no error");
}

/// The text of a scorecard cell by row and column name.
std::string scorecard_cell(const Table& table, size_t row, const std::string& column) {
  const auto it = std::find(table.columns.begin(), table.columns.end(), column);
  REQUIRE(it != table.columns.end());
  return table.rows.at(row)[it - table.columns.begin()].text;
}

/// The scorecard of `claims` over the runs under `root` (report files go to `out`).
Table scorecard_of(const std::vector<Claim>& claims, const fs::path& root, const fs::path& out) {
  ReportOptions options;
  options.paths = {root.string()};
  options.out_dir = out.string();
  const Report report = build_report(options);
  const auto table = scorecard_table(claims, ReportContext{report.run_set.runs, report.grouping, "", ""});
  REQUIRE(table);
  return *table;
}

}  // namespace

TEST_CASE("the incomplete beta function matches a numerical integral of its density", "[claims]") {
  for (const auto& [x, a, b] : std::vector<std::tuple<double, double, double>>{
           {0.3, 1, 1}, {0.3, 2, 5}, {0.7, 2, 5}, {0.5, 3.5, 1.5}, {0.9, 4, 1}, {0.05, 1, 30}, {0.95, 30, 1.25}}) {
    const double beta = std::exp(std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b));
    const double naive = simpson([&](double u) { return std::pow(u, a - 1) * std::pow(1 - u, b - 1); }, 0, x) / beta;
    INFO("x=" << x << " a=" << a << " b=" << b);
    CHECK(incomplete_beta(x, a, b) == Approx(naive).margin(1e-9));
  }
  CHECK(incomplete_beta(0.5, 7.3, 7.3) == Approx(0.5));
  CHECK(incomplete_beta(0, 2, 3) == 0);
  CHECK(incomplete_beta(1, 2, 3) == 1);
}

TEST_CASE("Welch's one-sided p matches the t distribution integrated by hand", "[claims]") {
  const std::vector<std::pair<std::vector<double>, std::vector<double>>> cases = {
      {{1, 2, 3, 4, 5}, {3, 4, 5, 6, 7}},          // t = -2, df = 8
      {{10.1, 10.4, 9.8}, {9.0, 9.9, 8.2, 9.5}},    // unequal sizes and variances: fractional df
      {{0.998, 0.997, 0.999}, {0.008, 0.009, 0.0085}}};
  for (const auto& [a, b] : cases) {
    const auto [t, df] = naive_welch(a, b);
    INFO("t=" << t << " df=" << df);
    CHECK(welch_greater_p(a, b) == Approx(naive_t_tail(t, df)).margin(1e-7));
    CHECK(welch_greater_p(b, a) == Approx(1 - naive_t_tail(t, df)).margin(1e-7));
  }
  CHECK(std::isnan(welch_greater_p({1.0}, {2.0, 3.0})));  // one run cannot give a variance
  CHECK(welch_greater_p({2, 2}, {1, 1}) == 0);            // no spread at all: the means decide
  CHECK(std::isnan(welch_greater_p({1, 1}, {1, 1})));
}

TEST_CASE("claims parse with their margins; a bad claim is one line naming the claim and key", "[claims]") {
  const auto claims = claims_from(R"(
claims:
  - name: no mixing collapses
    left: {mixer: mlp}
    op: ">"
    right: {mixer: softmax}
    metric: val_ppl
    margin: 1.5x
  - name: softmax solves it
    left: {mixer: softmax}
    op: "<"
    right: {mixer: mlp}
    metric: val_loss
    margin: 0.25
)");
  REQUIRE(claims.size() == 2);
  CHECK(claims[0].margin_kind == Claim::Margin::Ratio);
  CHECK(claims[0].margin == 1.5);
  CHECK(claims[0].left.at("mixer") == "mlp");
  CHECK_FALSE(claims[1].greater);
  CHECK(claims[1].margin_kind == Claim::Margin::Difference);
  CHECK(claims_from("sweep: {seed: [0]}\n").empty());

  auto error_of = claims_error;
  const std::string base = "claims:\n  - name: c\n    left: {mixer: mlp}\n    op: \">\"\n    right: {mixer: softmax}\n";
  CHECK_THAT(error_of(base + "    metric: val_pll\n"),
             Catch::Contains("study.yaml:6: claims[0].metric: unknown metric 'val_pll'") && Catch::Contains("val_ppl"));
  CHECK_THAT(error_of(base + "    metric: val_ppl\n    margin: lots\n"), Catch::Contains("claims[0].margin: 'lots'"));
  CHECK_THAT(error_of(base + "    metric: val_ppl\n    margin: -2x\n"), Catch::Contains("claims[0].margin"));
  CHECK_THAT(error_of(base + "    metric: val_ppl\n    marign: 2x\n"),
             Catch::Contains("claims[0].marign: unknown key") && Catch::Contains("margin"));
  CHECK_THAT(error_of("claims:\n  - name: c\n    left: mlp\n    op: \">\"\n    right: {mixer: softmax}\n    metric: val_ppl\n"),
             Catch::Contains("claims[0].left: required, a map"));
  CHECK_THAT(error_of("claims:\n  - name: c\n    left: {mixer: mlp}\n    op: \">=\"\n    right: {mixer: a}\n    metric: val_ppl\n"),
             Catch::Contains("claims[0].op: '>='"));
  CHECK_THAT(error_of("claims: {a: 1}\n"), Catch::Contains("claims: expected a list"));
}

TEST_CASE("the scorecard: a clear hold, a clear failure, an undecided claim and a one-seed side", "[claims]") {
  test::TempDir dir;
  const fs::path root = dir.path() / "study";
  // ppl: softmax ~10, mlp ~10.2 (2% worse, tight), noisy ~10 with a wide spread; accuracy: softmax 0.99, mlp chance
  const std::vector<std::tuple<std::string, double, double>> runs = {
      {"softmax", 10.0, 0.99}, {"softmax", 10.1, 0.995}, {"softmax", 9.9, 0.985},
      {"mlp", 10.2, 0.008},    {"mlp", 10.25, 0.009},    {"mlp", 10.15, 0.0085},
      {"noisy", 8.0, 0.5},     {"noisy", 12.5, 0.6},     {"noisy", 10.0, 0.4}};
  for (size_t i = 0; i < runs.size(); ++i)
    write_run(root / std::to_string(i), std::get<0>(runs[i]), static_cast<int64_t>(i % 3), std::get<1>(runs[i]),
              std::get<2>(runs[i]));
  write_run(root / "lone", "lone", 0, 5.0, 0.5);
  write_run(root / "hyb0", "hybrid", 0, 10.0, 0.90, 0.01);
  write_run(root / "hyb1", "hybrid", 1, 10.0, 0.92, 0.02);
  const auto claims = claims_from(R"(
claims:
  - {name: accuracy collapses, left: {mixer: mlp}, op: "<", right: {mixer: softmax}, metric: accuracy, margin: 0.5}
  - {name: ppl collapses, left: {mixer: mlp}, op: ">", right: {mixer: softmax}, metric: val_ppl, margin: 1.5x}
  - {name: noisy is worse, left: {mixer: noisy}, op: ">", right: {mixer: softmax}, metric: val_ppl}
  - {name: lone is better, left: {mixer: lone}, op: "<", right: {mixer: softmax, train.lr: 1e-3}, metric: val_ppl}
  - {name: skip collapses, left: {mixer: hybrid}, op: "<", right: {mixer: hybrid}, metric: skip_accuracy,
     right_metric: accuracy, margin: 0.5}
)");
  ReportOptions options;
  options.paths = {root.string()};
  options.out_dir = (dir.path() / "out").string();
  const Report report = build_report(options);
  const std::vector<LoadedRun>& loaded = report.run_set.runs;
  const ReportContext context{loaded, report.grouping, "", ""};
  const auto table = scorecard_table(claims, context);
  REQUIRE(table);
  REQUIRE(table->rows.size() == 5);
  auto cell = [&](size_t row, const std::string& column) { return scorecard_cell(*table, row, column); };
  CHECK(cell(0, "verdict") == "holds");
  CHECK(cell(0, "n") == "3/3");
  CHECK(cell(0, "left mean") == "0.0085 ± 0.0005");
  CHECK(cell(1, "verdict") == "fails");  // 1.02x, not 1.5x: the seeds show the opposite
  CHECK(cell(1, "effect") == "+0.2 (1.02x)");
  CHECK(cell(2, "verdict") == "undecided");
  CHECK(cell(3, "verdict") == "undecided (needs 2 runs a side)");  // 1e-3 matches lr 0.001
  CHECK(cell(3, "n") == "1/3");
  CHECK(cell(4, "claim") == "skip collapses [skip_accuracy < accuracy, margin 0.5]");
  CHECK(cell(4, "left mean") == "0.0150 ± 0.0071");
  CHECK(cell(4, "right mean") == "0.9100 ± 0.0141");
  CHECK(cell(4, "verdict") == "holds");
  CHECK_FALSE(scorecard_table({}, context));
}

TEST_CASE("a side with cache: reads the /eval_budget row of its policy and ratio", "[claims]") {
  test::TempDir dir;
  const fs::path root = dir.path() / "study";
  // three seeds: the full cache 0.99, h2o at 5x close to it, random at 5x near 1/5 of the answers
  for (int64_t seed = 0; seed < 3; ++seed) {
    const fs::path run = root / std::to_string(seed);
    write_run(run, "softmax", seed, 2.0, 0.99);
    results::RunStore store = results::RunStore::open((run / "run.h5").string());
    using results::ColumnType;
    store.define_table("/eval_budget", {{"policy", ColumnType::String}, {"budget", ColumnType::Int64},
                                        {"ratio", ColumnType::Float64}, {"loss", ColumnType::Float64},
                                        {"ppl", ColumnType::Float64}, {"kv_bytes", ColumnType::Int64},
                                        {"tokens_per_s", ColumnType::Float64}, {"layer_budget", ColumnType::String},
                                        {"step", ColumnType::Int64}, {"accuracy", ColumnType::Float64}});
    auto row = [&](const char* policy, double ratio, double ppl, double accuracy) {
      store.append("/eval_budget", {std::string(policy), int64_t{13}, ratio, std::log(ppl), ppl, int64_t{1024}, 100.0,
                                    std::string("uniform"), int64_t{100}, accuracy});
    };
    const double s = 0.01 * static_cast<double>(seed);
    row("full", 1.0, 1.1, 0.98 + s);
    row("random", 5.0, 9.0, 0.20 + s);
    row("random", 5.0, 9.0, 0.30 + s);  // evaluated again: the last row counts
    row("h2o", 5.0, 1.3, 0.95 + s);
    row("h2o", 2.0, 1.2, 0.10);  // another ratio: not read
    store.mark_completed();  // reopening set it running, as a resumed run
    store.flush();
  }
  const auto claims = claims_from(R"(
claims:
  - {name: random loses answers, left: {cache: random, cache.ratio: 5}, op: "<", right: {cache: full}, metric: accuracy, margin: 0.5}
  - {name: h2o keeps them, left: {cache: h2o, cache.ratio: 5}, op: ">", right: {cache: random, cache.ratio: 5}, metric: accuracy}
  - {name: h2o ppl, left: {cache: h2o, cache.ratio: 5}, op: "<", right: {mixer: softmax}, metric: val_ppl}
)");
  const Table table = scorecard_of(claims, root, dir.path() / "out");
  auto cell = [&](size_t row, const std::string& column) { return scorecard_cell(table, row, column); };
  CHECK(cell(0, "left mean") == "0.3100 ± 0.0100");
  CHECK(cell(0, "right mean") == "0.9900 ± 0.0100");
  CHECK(cell(0, "verdict") == "holds");
  CHECK(cell(1, "left mean") == "0.9600 ± 0.0100");
  CHECK(cell(1, "verdict") == "holds");
  CHECK(cell(2, "verdict") == "holds");  // 1.3 (budget) < 2.0 (/eval of the same runs)

  auto error_of = claims_error;
  CHECK_THAT(error_of("claims:\n  - {name: c, left: {cache.ratio: 5}, op: \"<\", right: {cache: full}, metric: accuracy}\n"),
             Catch::Contains("claims[0].left: cache.ratio needs cache"));
  CHECK_THAT(error_of("claims:\n  - {name: c, left: {cache: h2o}, op: \"<\", right: {cache: full}, metric: skip_ppl}\n"),
             Catch::Contains("claims[0].left: a side with cache: reads /eval_budget"));
  CHECK_THAT(error_of("claims:\n  - {name: c, left: {cache: h2o, cache.ratio: x}, op: \"<\", right: {cache: full}, metric: accuracy}\n"),
             Catch::Contains("cache.ratio: 'x'"));
}

TEST_CASE("a claim against a constant is a one-sample t-test; persistence is the median layer's ratio", "[claims]") {
  test::TempDir dir;
  const fs::path root = dir.path() / "study";
  // per-layer ratios of three seeds: the median layer is 0.97, 0.96, 0.98 (layer 0 is the odd one out)
  const std::vector<std::vector<double>> ratios = {{0.70, 0.97, 0.99}, {0.99, 0.96, 0.90}, {0.50, 0.98, 0.99}};
  for (int64_t seed = 0; seed < 3; ++seed) {
    const fs::path run = root / std::to_string(seed);
    write_run(run, "softmax", seed, 2.0, 0.99);
    results::RunStore store = results::RunStore::open((run / "run.h5").string());
    store.define_table("/analysis/persistence",
                       {{"layer", results::ColumnType::Int64}, {"ratio", results::ColumnType::Float64}});
    store.append("/analysis/persistence", {int64_t{0}, 0.1});  // analysed again below: the last row of a layer counts
    for (size_t l = 0; l < 3; ++l) store.append("/analysis/persistence", {static_cast<int64_t>(l), ratios[seed][l]});
    store.mark_completed();
    store.flush();
  }
  const auto claims = claims_from(R"(
claims:
  - {name: above 0.95, left: {mixer: softmax}, op: ">", right: 0.95, metric: persistence}
  - {name: above 0.99, left: {mixer: softmax}, op: ">", right: 0.99, metric: persistence}
  - {name: above 0.96, left: {mixer: softmax}, op: ">", right: 0.96, metric: persistence}
  - {name: ppl below 2.5, left: {mixer: softmax}, op: "<", right: 2.5, metric: val_ppl}
)");
  REQUIRE(claims[0].right_value);
  CHECK(*claims[0].right_value == 0.95);
  CHECK(claims[0].right.empty());
  const Table table = scorecard_of(claims, root, dir.path() / "out");
  auto cell = [&](size_t row, const std::string& column) { return scorecard_cell(table, row, column); };
  CHECK(cell(0, "left mean") == "0.9700 ± 0.0100");
  CHECK(cell(0, "right") == "constant");
  CHECK(cell(0, "right mean") == "0.9500");
  CHECK(cell(0, "n") == "3/—");
  // one-sample t = (0.97 - 0.95) / (0.01 / sqrt 3), 2 degrees of freedom, integrated by hand
  const double t = 0.02 / (0.01 / std::sqrt(3.0));
  CHECK(cell(0, "p") == fmt::format("{:.2g}", naive_t_tail(t, 2)));
  CHECK(cell(0, "verdict") == "holds");
  CHECK(cell(1, "verdict") == "fails");
  CHECK(cell(2, "verdict") == "undecided");
  CHECK(cell(3, "verdict") == "holds");  // /eval ppl 2.0 in every run: no spread, the mean decides

  auto error_of = claims_error;
  CHECK_THAT(error_of("claims:\n  - {name: c, left: {mixer: a}, op: \">\", right: lots, metric: persistence}\n"),
             Catch::Contains("claims[0].right: 'lots': expected a map") && Catch::Contains("or a number"));
  CHECK_THAT(error_of("claims:\n  - {name: c, left: {mixer: a}, op: \">\", right: 0.9, metric: accuracy, right_metric: val_ppl}\n"),
             Catch::Contains("claims[0].right_metric: a constant right side has no metric"));
}

TEST_CASE("pruned_pct is the all-layer share of the last /sparsity step, in percent", "[claims]") {
  test::TempDir dir;
  const fs::path root = dir.path() / "study";
  const std::vector<double> pruned = {0.78, 0.80, 0.76};  // all layers at the last step: mean 78%, std 2%
  for (int64_t seed = 0; seed < 3; ++seed) {
    const fs::path run = root / std::to_string(seed);
    write_run(run, "dcp", seed, 1.0, 1.0);
    results::RunStore store = results::RunStore::open((run / "run.h5").string());
    store.define_table("/sparsity", {{"step", results::ColumnType::Int64}, {"layer", results::ColumnType::Int64},
                                     {"dropped_fraction", results::ColumnType::Float64},
                                     {"mean_keep", results::ColumnType::Float64}});
    store.append("/sparsity", {int64_t{50}, int64_t{-1}, 0.10, 0.9});    // an earlier step does not count
    store.append("/sparsity", {int64_t{100}, int64_t{0}, 0.99, 0.01});   // nor does one layer's row
    store.append("/sparsity", {int64_t{100}, int64_t{-1}, pruned[seed], 1 - pruned[seed]});
    store.mark_completed();
    store.flush();
  }
  const auto claims = claims_from(R"(
claims:
  - {name: most pruned, left: {mixer: dcp}, op: ">", right: 50, metric: pruned_pct}
  - {name: nearly all pruned, left: {mixer: dcp}, op: ">", right: 90, metric: pruned_pct}
)");
  const Table table = scorecard_of(claims, root, dir.path() / "out");
  CHECK(scorecard_cell(table, 0, "left mean") == "78.0000 ± 2.0000");
  CHECK(scorecard_cell(table, 0, "verdict") == "holds");
  CHECK(scorecard_cell(table, 1, "verdict") == "fails");
}

TEST_CASE("two sweeps of one experiment file, named absolutely and relatively, give its claims once", "[claims]") {
  test::TempDir dir;
  const fs::path file = dir.path() / "study.yaml";
  std::ofstream(file) << "claims:\n  - {name: c, left: {mixer: a}, op: \">\", right: {mixer: b}, metric: accuracy}\n";
  const fs::path relative = fs::relative(file, fs::current_path());
  REQUIRE(relative.is_relative());
  std::vector<std::string> paths;
  for (const auto& [name, named] : {std::pair{"first", file}, std::pair{"second", relative}}) {
    fs::create_directories(dir.path() / name);
    std::ofstream(dir.path() / name / "index.yaml") << "experiment_file: " << named.string() << "\njobs: []\n";
    paths.push_back((dir.path() / name).string());
  }
  ReportOptions options;
  options.paths = paths;
  std::vector<std::string> warnings;
  const auto claims = find_claims(options, warnings);
  CHECK(warnings.empty());
  REQUIRE(claims.size() == 1);
  CHECK(claims[0].name == "c");
}
