// MAD in-context recall and noisy recall: layout, MAD's scored positions, a naive solver, determinism, options.
#include "support/catch.h"

#include <algorithm>
#include <map>

#include "mad_test_util.h"
#include "tasks/in_context_recall_task.h"
#include "tasks/noisy_recall_task.h"

using namespace attnlab;

namespace {

std::shared_ptr<data::TaskDataset> recall(const std::string& yaml) {
  return testing::task_dataset("name: in_context_recall\n" + yaml);
}

std::shared_ptr<data::TaskDataset> noisy(const std::string& yaml) {
  return testing::task_dataset("name: noisy_recall\n" + yaml);
}

std::string recall_error(const std::string& yaml) {
  return testing::task_error("name: in_context_recall\n" + yaml);
}

std::string noisy_error(const std::string& yaml) {
  return testing::task_error("name: noisy_recall\n" + yaml);
}

/// The token ranges of a recall task: keys [0, half), values [half, S), noise [S, S + N).
struct Layout {
  int32_t half, S, N;
  bool key(int32_t t) const { return t >= 0 && t < half; }
  bool value(int32_t t) const { return t >= half && t < S; }
  bool noise(int32_t t) const { return t >= S && t < S + N; }
};

/// The labels MAD's rule gives (multi_query: every unit whose key appeared in an earlier unit, and the
/// probe), written from the definition. Also checks the units' token ranges and the map's consistency.
std::vector<int32_t> expected_labels(const data::TaskExample& e, const Layout& lay, bool multi_query, int64_t* noise_units) {
  const auto L = static_cast<int64_t>(e.inputs.size());
  std::vector<int32_t> want(static_cast<size_t>(L), data::kIgnore);
  std::map<int32_t, int32_t> value_of;
  for (int64_t t = 0; t + 2 < L; t += 2) {
    const int32_t a = e.inputs[static_cast<size_t>(t)], b = e.inputs[static_cast<size_t>(t + 1)];
    if (lay.noise(a)) {
      CHECK(lay.noise(b));
      ++*noise_units;
      continue;
    }
    REQUIRE(lay.key(a));
    REQUIRE(lay.value(b));
    if (value_of.count(a)) {
      CHECK(value_of[a] == b);  // one value per key within a sequence
      if (multi_query) want[static_cast<size_t>(t)] = b;
    }
    value_of[a] = b;
  }
  // the probe: a key seen earlier; its value is the label
  const int32_t probe = e.inputs[static_cast<size_t>(multi_query ? L - 2 : L - 1)];
  REQUIRE(value_of.count(probe));
  want[static_cast<size_t>(multi_query ? L - 2 : L - 1)] = value_of[probe];
  if (multi_query) CHECK(e.inputs[static_cast<size_t>(L - 1)] == value_of[probe]);
  return want;
}

/// A naive solver: at a scored key, scan back for the same key (at a unit start) and answer what followed it.
/// `offset` 1 is the rule; another offset is a wrong solver (the tests check it fails).
double naive_accuracy(const data::TaskDataset& ds, int64_t n, int64_t offset = 1) {
  int64_t right = 0, total = 0;
  for (int64_t i = 0; i < n; ++i) {
    const data::TaskExample e = ds.example(1, i);
    for (size_t t = 0; t < e.labels.size(); ++t) {
      if (e.labels[t] == data::kIgnore) continue;
      int32_t guess = -1;
      for (int64_t s = static_cast<int64_t>(t) - 1; s >= 0; --s) {
        if (s % 2 == 0 && e.inputs[static_cast<size_t>(s)] == e.inputs[t] && s + offset < static_cast<int64_t>(t)) {
          guess = e.inputs[static_cast<size_t>(s + offset)];
          break;
        }
      }
      right += guess == e.labels[t];
      ++total;
    }
  }
  return total ? static_cast<double>(right) / static_cast<double>(total) : 0.0;
}

}  // namespace

TEST_CASE("in_context_recall: MAD's layout, scored positions and a naive solver at 100%", "[tasks][in_context_recall]") {
  auto ds = recall("test_examples: 200\ntrain_examples: 50");
  const data::Task& task = ds->task();
  CHECK(task.vocab_size() == 16);
  CHECK(task.seq_len() == 128);
  CHECK(task.chance_accuracy() == Approx(1.0 / 8));
  const Layout lay{8, 16, 0};
  int64_t scored = 0, noise_units = 0;
  for (int64_t i = 0; i < 200; ++i) {
    const data::TaskExample e = ds->example(1, i);
    REQUIRE(e.inputs.size() == 128);
    const std::vector<int32_t> want = expected_labels(e, lay, true, &noise_units);
    CHECK(e.labels == want);
    for (int32_t l : e.labels) scored += l != data::kIgnore;
  }
  CHECK(noise_units == 0);
  CHECK(scored > 200 * 40);  // 63 units over 8 keys: most keys repeat
  CHECK(naive_accuracy(*ds, 200) == 1.0);
  CHECK(naive_accuracy(*ds, 200, 3) < 0.5);  // the value of the next unit instead: the check can fail
}

TEST_CASE("in_context_recall: multi_query false scores only the probe after the copy token", "[tasks][in_context_recall]") {
  auto ds = recall("vocab_size: 32\nseq_len: 64\nmulti_query: false\ntest_examples: 200\ntrain_examples: 50");
  CHECK(ds->task().chance_accuracy() == Approx(1.0 / 16));  // S = 31: values [15, 31)
  const Layout lay{15, 31, 0};
  int64_t noise_units = 0;
  for (int64_t i = 0; i < 200; ++i) {
    const data::TaskExample e = ds->example(1, i);
    CHECK(e.inputs[62] == 31);  // the copy token, once
    CHECK(std::count(e.inputs.begin(), e.inputs.end(), 31) == 1);
    CHECK(std::count_if(e.labels.begin(), e.labels.end(), [](int32_t l) { return l != data::kIgnore; }) == 1);
    CHECK(e.labels == expected_labels(e, lay, false, &noise_units));
  }
  CHECK(naive_accuracy(*ds, 200) == 1.0);
}

TEST_CASE("noisy_recall: noise units from their own vocabulary at frac_noise, never scored", "[tasks][noisy_recall]") {
  for (const double frac : {0.2, 0.8}) {
    auto ds = noisy("frac_noise: " + std::to_string(frac) + "\ntest_examples: 200\ntrain_examples: 50");
    CHECK(ds->task().vocab_size() == 32);
    CHECK(ds->task().chance_accuracy() == Approx(1.0 / 8));
    const Layout lay{8, 16, 16};
    int64_t noise_units = 0;
    for (int64_t i = 0; i < 200; ++i) {
      const data::TaskExample e = ds->example(1, i);
      CHECK(e.labels == expected_labels(e, lay, true, &noise_units));
    }
    // 63 units, 62 of them may be noise: frac * 62 / 63 of all units, within sampling error
    const double seen = static_cast<double>(noise_units) / (200.0 * 63);
    CHECK(seen == Approx(frac * 62 / 63).margin(0.02));
    CHECK(naive_accuracy(*ds, 200) == 1.0);
  }
  int64_t noise_units = 0;
  auto clean = noisy("frac_noise: 0\ntest_examples: 50\ntrain_examples: 10");
  for (int64_t i = 0; i < 50; ++i) expected_labels(clean->example(1, i), Layout{8, 16, 16}, true, &noise_units);
  CHECK(noise_units == 0);
}

TEST_CASE("in_context_recall / noisy_recall: deterministic in the options and data.task.seed", "[tasks][in_context_recall][noisy_recall]") {
  const std::string yaml = "seq_len: 64\ntest_examples: 100\ntrain_examples: 100\n";
  CHECK(testing::count_equal(*recall(yaml), *recall(yaml), 1, 100) == 100);
  CHECK(testing::count_equal(*recall(yaml), *recall(yaml), 0, 100) == 100);
  CHECK(testing::count_equal(*recall(yaml), *recall(yaml + "seed: 1"), 1, 100) == 0);
  CHECK(testing::count_equal(*noisy(yaml), *noisy(yaml), 1, 100) == 100);
  CHECK(testing::count_equal(*noisy(yaml), *noisy(yaml + "seed: 1"), 1, 100) == 0);
}

TEST_CASE("in_context_recall / noisy_recall: bad options name their key", "[tasks][in_context_recall][noisy_recall]") {
  CHECK_THAT(recall_error("seq_len: 63"), Catch::Contains("data.task.seq_len"));
  CHECK_THAT(recall_error("seq_len: 2"), Catch::Contains("data.task.seq_len"));
  CHECK_THAT(recall_error("vocab_size: 1"), Catch::Contains("data.task.vocab_size"));
  CHECK_THAT(recall_error("vocab_size: 2\nmulti_query: false"), Catch::Contains("data.task.vocab_size"));
  CHECK_THAT(recall_error("multi_query: 3"), Catch::Contains("data.task.multi_query"));
  CHECK_THAT(recall_error("frac_noise: 0.2"), Catch::Contains("data.task.frac_noise"));  // noisy_recall's option
  // the smallest task is valid (it has one sequence, so only a fresh-example training set fits)
  CHECK(recall_error("vocab_size: 2\nseq_len: 4\ntest_examples: 1\ntrain_examples: 0") == "");
  CHECK_THAT(noisy_error("frac_noise: 1"), Catch::Contains("data.task.frac_noise"));
  CHECK_THAT(noisy_error("frac_noise: -0.1"), Catch::Contains("data.task.frac_noise"));
  CHECK_THAT(noisy_error("noise_vocab_size: 0"), Catch::Contains("data.task.noise_vocab_size"));
  CHECK_THAT(noisy_error("noise_vocab_size: -1\nfrac_noise: 0"), Catch::Contains("data.task.noise_vocab_size"));
  CHECK_THAT(noisy_error("vocab_size: 17"), Catch::Contains("data.task.vocab_size"));
  CHECK(noisy_error("vocab_size: 18\nseq_len: 8") == "");
}
