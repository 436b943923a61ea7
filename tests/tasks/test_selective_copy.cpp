// MAD selective copying: layout, scored positions, a naive copier, determinism, options.
#include "support/catch.h"

#include <algorithm>

#include "mad_test_util.h"
#include "tasks/selective_copy_task.h"

using namespace attnlab;

namespace {

std::shared_ptr<data::TaskDataset> copying(const std::string& yaml) {
  return testing::task_dataset("name: selective_copy\n" + yaml);
}

std::string copy_error(const std::string& yaml) {
  return testing::task_error("name: selective_copy\n" + yaml);
}

/// A naive copier: the non-blank tokens before the copy token, in order; the k-th position after the
/// copy token answers the k-th (reversed: a wrong copier, the tests check it fails).
double naive_accuracy(const data::TaskDataset& ds, int32_t blank, int32_t copy, int64_t n, bool reversed = false) {
  int64_t right = 0, total = 0;
  for (int64_t i = 0; i < n; ++i) {
    const data::TaskExample e = ds.example(1, i);
    const auto at = std::find(e.inputs.begin(), e.inputs.end(), copy);
    std::vector<int32_t> data;
    std::copy_if(e.inputs.begin(), at, std::back_inserter(data), [&](int32_t t) { return t != blank; });
    if (reversed) std::reverse(data.begin(), data.end());
    const auto copy_pos = static_cast<size_t>(at - e.inputs.begin());
    for (size_t t = 0; t < e.labels.size(); ++t) {
      if (e.labels[t] == data::kIgnore) continue;
      const size_t k = t - copy_pos - 1;  // the k-th answer
      right += t > copy_pos && k < data.size() && data[k] == e.labels[t];
      ++total;
    }
  }
  return static_cast<double>(right) / static_cast<double>(total);
}

}  // namespace

TEST_CASE("selective_copy: data among blanks, the copy token, answers at the blanks after it", "[tasks][selective_copy]") {
  auto ds = copying("test_examples: 200\ntrain_examples: 50");
  CHECK(ds->task().vocab_size() == 16);
  CHECK(ds->task().seq_len() == 256);
  CHECK(ds->task().chance_accuracy() == Approx(1.0 / 14));
  const int32_t blank = 14, copy = 15;
  const size_t L = 256, n = 16;
  int64_t first_data_later = 0;
  for (int64_t i = 0; i < 200; ++i) {
    const data::TaskExample e = ds->example(1, i);
    REQUIRE(e.inputs.size() == L);
    CHECK(e.inputs[L - n - 1] == copy);
    CHECK(std::count(e.inputs.begin(), e.inputs.end(), copy) == 1);
    std::vector<int32_t> data;
    for (size_t t = 0; t < L - n - 1; ++t) {
      CHECK(e.inputs[t] < copy);
      if (e.inputs[t] != blank) data.push_back(e.inputs[t]);
    }
    CHECK(data.size() == n);
    CHECK(e.inputs[L - n - 2] != blank);  // MAD puts every blank before some data token
    first_data_later += e.inputs[0] == blank;
    for (size_t t = L - n; t < L; ++t) CHECK(e.inputs[t] == blank);
    std::vector<int32_t> want(L - n, data::kIgnore);
    want.insert(want.end(), data.begin(), data.end());
    CHECK(e.labels == want);
  }
  CHECK(first_data_later > 150);  // the blanks really are scattered
  CHECK(naive_accuracy(*ds, blank, copy, 200) == 1.0);
  CHECK(naive_accuracy(*ds, blank, copy, 200, true) < 0.5);
}

TEST_CASE("selective_copy: selective false is plain copying; other sizes", "[tasks][selective_copy]") {
  auto plain = copying("selective: false\nseq_len: 40\nnum_tokens_to_copy: 8\ntest_examples: 100\ntrain_examples: 50");
  for (int64_t i = 0; i < 100; ++i) {
    const data::TaskExample e = plain->example(1, i);
    for (size_t t = 0; t < 8; ++t) CHECK(e.inputs[t] < 14);
    for (size_t t = 8; t < 31; ++t) CHECK(e.inputs[t] == 14);
    CHECK(e.inputs[31] == 15);
  }
  CHECK(naive_accuracy(*plain, 14, 15, 100) == 1.0);
  auto big = copying("vocab_size: 64\nseq_len: 512\nnum_tokens_to_copy: 96\ntest_examples: 100\ntrain_examples: 50");
  CHECK(big->task().chance_accuracy() == Approx(1.0 / 62));
  CHECK(naive_accuracy(*big, 62, 63, 100) == 1.0);
  auto tight = copying("seq_len: 34\nnum_tokens_to_copy: 16\ntest_examples: 100\ntrain_examples: 50");  // one blank
  CHECK(naive_accuracy(*tight, 14, 15, 100) == 1.0);
}

TEST_CASE("selective_copy: deterministic in the options and data.task.seed", "[tasks][selective_copy]") {
  const std::string yaml = "seq_len: 64\nnum_tokens_to_copy: 8\ntest_examples: 100\ntrain_examples: 100\n";
  CHECK(testing::count_equal(*copying(yaml), *copying(yaml), 1, 100) == 100);
  CHECK(testing::count_equal(*copying(yaml), *copying(yaml), 0, 100) == 100);
  CHECK(testing::count_equal(*copying(yaml), *copying(yaml + "seed: 1"), 1, 100) == 0);
}

TEST_CASE("selective_copy: bad options name their key", "[tasks][selective_copy]") {
  CHECK_THAT(copy_error("vocab_size: 2"), Catch::Contains("data.task.vocab_size"));
  CHECK_THAT(copy_error("num_tokens_to_copy: 0"), Catch::Contains("data.task.num_tokens_to_copy"));
  CHECK_THAT(copy_error("seq_len: 33"), Catch::Contains("data.task.num_tokens_to_copy"));  // 16 tokens need 34
  CHECK_THAT(copy_error("selective: maybe"), Catch::Contains("data.task.selective"));
  CHECK_THAT(copy_error("multi_query: true"), Catch::Contains("data.task.multi_query"));
}
