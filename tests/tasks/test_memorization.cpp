// MAD memorization: the fixed key -> value map (from data.task.seed), answers at INSERT, a lookup
// table learnt from the training set, determinism, options.
#include "support/catch.h"

#include <map>
#include <set>

#include "mad_test_util.h"
#include "tasks/memorization_task.h"

using namespace attnlab;

namespace {

std::shared_ptr<data::TaskDataset> memo(const std::string& yaml) {
  return testing::task_dataset("name: memorization\n" + yaml);
}

std::string memo_error(const std::string& yaml) {
  return testing::task_error("name: memorization\n" + yaml);
}

/// The key -> value table seen in a split's first n examples (the key precedes each labelled INSERT).
/// Checks that it is a function: a key never shows two values.
std::map<int32_t, int32_t> table(const data::TaskDataset& ds, int split, int64_t n) {
  std::map<int32_t, int32_t> value_of;
  for (int64_t i = 0; i < n; ++i) {
    const data::TaskExample e = ds.example(split, i);
    for (size_t t = 0; t < e.labels.size(); ++t) {
      if (e.labels[t] == data::kIgnore) continue;
      REQUIRE(t > 0);
      const auto [it, fresh] = value_of.emplace(e.inputs[t - 1], e.labels[t]);
      if (!fresh) CHECK(it->second == e.labels[t]);
    }
  }
  return value_of;
}

/// Accuracy on the test set of a lookup table learnt from the training set (unknown key: wrong).
double lookup_accuracy(const data::TaskDataset& ds, const std::map<int32_t, int32_t>& learnt, int64_t n) {
  int64_t right = 0, total = 0;
  for (int64_t i = 0; i < n; ++i) {
    const data::TaskExample e = ds.example(1, i);
    for (size_t t = 0; t < e.labels.size(); ++t) {
      if (e.labels[t] == data::kIgnore) continue;
      const auto it = learnt.find(e.inputs[t - 1]);
      right += it != learnt.end() && it->second == e.labels[t];
      ++total;
    }
  }
  return static_cast<double>(right) / static_cast<double>(total);
}

}  // namespace

TEST_CASE("memorization: key INSERT units, answers at INSERT, never in the context", "[tasks][memorization]") {
  auto ds = memo("train_examples: 256\ntest_examples: 200");
  const auto& task = dynamic_cast<const MemorizationTask&>(ds->task());
  CHECK(task.vocab_size() == 256);
  CHECK(task.seq_len() == 32);
  CHECK(task.value_of().size() == 127);  // S = 255: keys [0, 127), values [127, 255), INSERT 255
  CHECK(task.chance_accuracy() == Approx(1.0 / 127));
  CHECK(std::set<int32_t>(task.value_of().begin(), task.value_of().end()).size() == 127);  // injective
  for (int32_t v : task.value_of()) CHECK((v >= 127 && v < 255));
  for (int64_t i = 0; i < 200; ++i) {
    const data::TaskExample e = ds->example(1, i);
    for (size_t t = 0; t < 32; t += 2) {
      CHECK(e.inputs[t] < 127);  // a key: no value token is ever an input
      CHECK(e.inputs[t + 1] == 255);
      CHECK(e.labels[t] == data::kIgnore);
      CHECK(e.labels[t + 1] == task.value_of()[static_cast<size_t>(e.inputs[t])]);
    }
  }
}

TEST_CASE("memorization: a table learnt from 256 training examples answers the test set", "[tasks][memorization]") {
  auto ds = memo("train_examples: 256\ntest_examples: 200");
  const auto learnt = table(*ds, 0, 256);
  CHECK(learnt.size() == 127);  // 4096 draws cover the 127 keys
  CHECK(table(*ds, 1, 200) == learnt);  // one map for both splits
  CHECK(lookup_accuracy(*ds, learnt, 200) == 1.0);
  // another data.task.seed: another map, so the old table fails
  auto other = memo("train_examples: 256\ntest_examples: 200\nseed: 1");
  CHECK(lookup_accuracy(*other, learnt, 200) < 0.1);
  CHECK(lookup_accuracy(*other, table(*other, 0, 256), 200) == 1.0);
}

TEST_CASE("memorization: noise units and other sizes", "[tasks][memorization]") {
  auto ds = memo("vocab_size: 64\nseq_len: 64\nnoise_vocab_size: 8\nfrac_noise: 0.5\ntrain_examples: 256\ntest_examples: 200");
  // S = 55: keys [0, 27), values [27, 55), noise [55, 63), INSERT 63
  int64_t noise_units = 0;
  for (int64_t i = 0; i < 200; ++i) {
    const data::TaskExample e = ds->example(1, i);
    int64_t keys = 0;
    for (size_t t = 0; t < 64; t += 2) {
      if (e.inputs[t] >= 55) {
        CHECK(e.inputs[t] < 63);
        CHECK((e.inputs[t + 1] >= 55 && e.inputs[t + 1] < 63));
        CHECK(e.labels[t + 1] == data::kIgnore);
        ++noise_units;
      } else {
        CHECK(e.inputs[t] < 27);
        CHECK(e.inputs[t + 1] == 63);
        CHECK((e.labels[t + 1] >= 27 && e.labels[t + 1] < 55));
        ++keys;
      }
    }
    CHECK(keys >= 1);
  }
  CHECK(static_cast<double>(noise_units) / (200.0 * 32) == Approx(0.5 * 31 / 32).margin(0.03));
  CHECK(lookup_accuracy(*ds, table(*ds, 0, 256), 200) == 1.0);
}

TEST_CASE("memorization: deterministic in the options and data.task.seed", "[tasks][memorization]") {
  const std::string yaml = "vocab_size: 64\ntest_examples: 100\ntrain_examples: 100\n";
  CHECK(testing::count_equal(*memo(yaml), *memo(yaml), 1, 100) == 100);
  CHECK(testing::count_equal(*memo(yaml), *memo(yaml), 0, 100) == 100);
  CHECK(testing::count_equal(*memo(yaml), *memo(yaml + "seed: 1"), 1, 100) == 0);
}

TEST_CASE("memorization: bad options name their key", "[tasks][memorization]") {
  CHECK_THAT(memo_error("seq_len: 31"), Catch::Contains("data.task.seq_len"));
  CHECK_THAT(memo_error("seq_len: 0"), Catch::Contains("data.task.seq_len"));
  CHECK_THAT(memo_error("vocab_size: 2"), Catch::Contains("data.task.vocab_size"));
  CHECK_THAT(memo_error("vocab_size: 20\nnoise_vocab_size: 18\nfrac_noise: 0.1"), Catch::Contains("data.task.vocab_size"));
  CHECK_THAT(memo_error("frac_noise: 1.5\nnoise_vocab_size: 4"), Catch::Contains("data.task.frac_noise"));
  CHECK_THAT(memo_error("frac_noise: 0.1"), Catch::Contains("data.task.noise_vocab_size"));
  CHECK_THAT(memo_error("noise_vocab_size: -2"), Catch::Contains("data.task.noise_vocab_size"));
}
