// MQAR (Zoology): the generator's invariants checked by a naive solver written from the definition.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "support/catch.h"
#include "task_test_util.h"
#include "tasks/mqar_task.h"

using namespace attnlab;
using data::kIgnore;

namespace {

struct Checked {
  int64_t queries = 0;
  std::vector<int64_t> first_gaps;  // gap (in query slots) of every query, in position order
};

/// Checks one example against Zoology's rules with a naive scan; returns what it saw.
Checked check_example(const data::TaskExample& e, int64_t V, int64_t L, int64_t N, int64_t passes, int64_t q) {
  Checked c;
  const int64_t half = V / 2, block = 2 * N * passes;
  REQUIRE(e.inputs.size() == static_cast<size_t>(L));
  std::set<int32_t> keys, values;
  std::map<int32_t, int32_t> value_of;
  for (int64_t j = 0; j < N; ++j) {
    const int32_t k = e.inputs[2 * j], v = e.inputs[2 * j + 1];
    CHECK(k >= 1);
    CHECK(k < half);
    CHECK(v >= half);
    CHECK(v < V);
    keys.insert(k), values.insert(v), value_of[k] = v;
  }
  CHECK(keys.size() == static_cast<size_t>(N));    // distinct keys
  CHECK(values.size() == static_cast<size_t>(N));  // distinct values
  for (int64_t t = 2 * N; t < block; ++t) CHECK(e.inputs[t] == e.inputs[t % (2 * N)]);  // JRT passes repeat the block
  for (int64_t t = 0; t < block; ++t) CHECK(e.labels[t] == kIgnore);
  std::map<int32_t, int64_t> times_asked;
  for (int64_t t = block; t < L; ++t) {
    if (e.labels[t] == kIgnore) {
      CHECK(e.slices[t] == -1);
      continue;
    }
    ++c.queries;
    CHECK((t - block) % 2 == 0);  // queries sit at even offsets
    c.first_gaps.push_back((t - block) / 2);
    // naive solver: find the query's key in the last pass of the block, answer the token after it
    int64_t found = -1;
    for (int64_t s = block - 2; s >= block - 2 * N; s -= 2)
      if (e.inputs[s] == e.inputs[t]) { found = s; break; }
    REQUIRE(found >= 0);
    CHECK(e.labels[t] == e.inputs[found + 1]);
    ++times_asked[e.inputs[t]];
    CHECK(e.slices[t] == MqarTask::distance_slice(t - found));
  }
  CHECK(c.queries == N * q);
  for (const auto& [key, n] : times_asked) CHECK(n == q);
  return c;
}

}  // namespace

TEST_CASE("MQAR examples follow Zoology's layout and a naive solver answers every query", "[mqar]") {
  struct Case { int64_t V, L, N, passes, q; };
  for (const Case c : {Case{256, 64, 8, 1, 1}, Case{8192, 128, 16, 1, 1}, Case{64, 64, 4, 2, 1}, Case{256, 128, 8, 1, 3}}) {
    auto d = testing::task_dataset(fmt::format("name: mqar\nvocab_size: {}\nseq_len: {}\nnum_kv_pairs: {}\nnum_passes: {}\n"
                                               "queries_per_key: {}\ntrain_examples: 200\ntest_examples: 200",
                                               c.V, c.L, c.N, c.passes, c.q));
    for (int split : {0, 1})
      for (int64_t i = 0; i < 200; ++i) check_example(d->example(split, i), c.V, c.L, c.N, c.passes, c.q);
    CHECK(d->task().chance_accuracy() == Approx(1.0 / static_cast<double>(c.V - c.V / 2)));
  }
}

TEST_CASE("MQAR query gaps follow the power law p(i) ∝ a·i^(a-1)", "[mqar]") {
  // one pair: the gap is a single draw from p, so its frequencies must match p
  const double a = 0.3;
  auto d = testing::task_dataset("name: mqar\nvocab_size: 64\nseq_len: 22\nnum_kv_pairs: 1\npower_a: 0.3\n"
                                 "train_examples: 20000\ntest_examples: 1");
  const int64_t space = 10;
  std::vector<double> p(space), count(space);
  double total = 0;
  for (int64_t i = 0; i < space; ++i) total += p[i] = a * std::pow(static_cast<double>(i + 1), a - 1);
  for (int64_t i = 0; i < 20000; ++i) {
    const auto e = d->example(0, i);
    for (int64_t t = 2; t < 22; ++t)
      if (e.labels[t] != kIgnore) ++count[(t - 2) / 2];
  }
  for (int64_t i = 0; i < space; ++i) {
    const double expected = 20000 * p[i] / total, sigma = std::sqrt(expected * (1 - p[i] / total));
    CHECK(std::abs(count[i] - expected) < 4 * sigma);
  }
  CHECK(count[0] > 2 * count[space - 1]);  // early gaps are favoured
}

TEST_CASE("MQAR examples are a function of data.task.seed; the run's seed only orders them", "[mqar][dataset]") {
  const std::string yaml = "name: mqar\ntrain_examples: 50\ntest_examples: 50";
  auto a = testing::task_dataset(yaml), b = testing::task_dataset(yaml), c = testing::task_dataset(yaml + "\nseed: 1");
  int differ = 0;
  for (int split : {0, 1})
    for (int64_t i = 0; i < 50; ++i) {
      CHECK(a->example(split, i).inputs == b->example(split, i).inputs);
      CHECK(a->example(split, i).labels == b->example(split, i).labels);
      differ += a->example(split, i).inputs != c->example(split, i).inputs;
    }
  CHECK(differ == 100);
  auto [x1, y1] = a->train_batch(8, 64, 7, 3);
  auto [x2, y2] = b->train_batch(8, 64, 7, 3);
  auto [x3, y3] = a->train_batch(8, 64, 7, 4);
  CHECK(torch::equal(x1, x2));
  CHECK(torch::equal(y1, y2));
  CHECK(!torch::equal(x1, x3));
}

TEST_CASE("training and test examples are disjoint even when the task has few distinct examples", "[dataset]") {
  // 3 keys x 4 values x 8 filler tokens: 96 distinct examples, so many training draws hit the test set
  auto d = testing::task_dataset("name: mqar\nvocab_size: 8\nseq_len: 4\nnum_kv_pairs: 1\ntrain_examples: 300\ntest_examples: 30");
  std::set<std::pair<std::vector<int32_t>, std::vector<int32_t>>> test;
  for (int64_t i = 0; i < 30; ++i) test.insert({d->example(1, i).inputs, d->example(1, i).labels});
  for (int64_t i = 0; i < 300; ++i) CHECK(test.count({d->example(0, i).inputs, d->example(0, i).labels}) == 0);
  CHECK(d->redrawn() > 0);  // the rule was exercised
}

TEST_CASE("loss targets: the answers only, or every next input with the answer where scored", "[dataset]") {
  for (const char* loss : {"answers", "all"}) {
    auto d = testing::task_dataset(std::string("name: mqar\ntrain_examples: 0\ntest_examples: 20\nloss: ") + loss);
    const auto set = d->eval_set(0, 0);
    REQUIRE(set.x.sizes() == torch::IntArrayRef({20, 64}));
    for (int64_t i = 0; i < 20; ++i) {
      const auto e = d->example(1, i);
      for (int64_t t = 0; t < 64; ++t) {
        CHECK(set.x[i][t].item<int64_t>() == e.inputs[t]);
        CHECK(set.labels[i][t].item<int64_t>() == e.labels[t]);
        int64_t want = e.labels[t];
        if (std::string(loss) == "all" && want == kIgnore) want = t + 1 < 64 ? e.inputs[t + 1] : kIgnore;
        CHECK(set.y[i][t].item<int64_t>() == want);
      }
    }
    auto [x, y] = d->train_batch(4, 64, 1, 0);  // train_examples: 0 -> examples 0..3 of the endless stream
    for (int64_t b = 0; b < 4; ++b) CHECK(x[b][10].item<int64_t>() == d->example(0, b).inputs[10]);
  }
}

TEST_CASE("bad task options fail with one line naming the key", "[dataset][mqar]") {
  using testing::task_error;
  CHECK_THAT(task_error("name: mqar\nseq_len: 64\nnum_kv_pairs: 40"), Catch::Contains("data.task.num_kv_pairs"));
  CHECK_THAT(task_error("name: mqar\nvocab_size: 16\nnum_kv_pairs: 8"), Catch::Contains("data.task.vocab_size"));
  CHECK_THAT(task_error("name: mqar\npower_a: -0.5"), Catch::Contains("data.task.power_a"));
  CHECK_THAT(task_error("name: mqar\nseq_len: 63"), Catch::Contains("data.task.seq_len"));
  CHECK_THAT(task_error("name: mqar\nqueries_per_key: 0"), Catch::Contains("data.task.queries_per_key"));
  CHECK_THAT(task_error("name: mqar\ntrain_examples: -1"), Catch::Contains("data.task.train_examples"));
  CHECK_THAT(task_error("name: mqar\ntest_examples: 0"), Catch::Contains("data.task.test_examples"));
  CHECK_THAT(task_error("name: mqar\nloss: every"), Catch::Contains("data.task.loss"));
  CHECK_THAT(task_error("name: mqar\nnum_kv_pair: 4"), Catch::Contains("num_kv_pairs"));  // did you mean
  CHECK_THAT(task_error("name: mqr"), Catch::Contains("mqar"));
  for (const char* yaml : {"name: mqar\nseq_len: 64\nnum_kv_pairs: 40", "name: mqr"}) {
    const std::string message = task_error(yaml);
    CHECK(message.find('\n') == std::string::npos);
    CHECK_THAT(message, Catch::Contains("test.yaml:"));
  }
}
