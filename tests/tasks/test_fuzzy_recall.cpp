// MAD fuzzy in-context recall: motif layout, scored value tokens, a naive motif-matching solver,
// determinism, options.
#include "support/catch.h"

#include <algorithm>
#include <map>
#include <set>

#include "mad_test_util.h"
#include "tasks/fuzzy_recall_task.h"

using namespace attnlab;

namespace {

std::shared_ptr<data::TaskDataset> fuzzy(const std::string& yaml) {
  return testing::task_dataset("name: fuzzy_recall\n" + yaml);
}

std::string fuzzy_error(const std::string& yaml) {
  return testing::task_error("name: fuzzy_recall\n" + yaml);
}

using Motif = std::vector<int32_t>;
enum Kind { kKey, kValue, kNoise, kPad, kCopy };

/// Token classes: keys [0, nk), values [nk, S), noise [S, S + N), pad, copy (-1: none).
struct Layout {
  int32_t nk, S, N, pad, copy;
  Kind kind(int32_t t) const {
    if (t >= 0 && t < nk) return kKey;
    if (t >= nk && t < S) return kValue;
    if (t >= S && t < S + N) return kNoise;
    if (t == pad) return kPad;
    REQUIRE(t == copy);
    return kCopy;
  }
};

struct Run {
  Kind kind;
  size_t begin, end;
};

std::vector<Run> runs_of(const std::vector<int32_t>& s, const Layout& lay) {
  std::vector<Run> runs;
  for (size_t j = 0; j < s.size(); ++j) {
    const Kind k = lay.kind(s[j]);
    if (runs.empty() || runs.back().kind != k || k == kCopy) runs.push_back({k, j, j + 1});
    else runs.back().end = j + 1;
  }
  return runs;
}

bool distinct_tokens(const std::vector<int32_t>& s, size_t begin, size_t end) {
  std::set<int32_t> seen(s.begin() + static_cast<std::ptrdiff_t>(begin), s.begin() + static_cast<std::ptrdiff_t>(end));
  return seen.size() == end - begin;
}

struct Stats {
  std::set<size_t> key_sizes, value_sizes;
  int64_t scored = 0, noise_tokens = 0;
};

/// The labels the rule gives, from the whole stream (inputs plus the last answer, the probe's last value
/// token): a value token of a key that appeared in an earlier pair is scored (multi_query), or of the
/// final probe only. Checks the layout on the way.
std::vector<int32_t> expected_labels(const data::TaskExample& e, const Layout& lay, int64_t K, int64_t W, bool multi_query,
                                     Stats* stats) {
  const size_t L = e.inputs.size();
  REQUIRE(e.labels.back() != data::kIgnore);
  std::vector<int32_t> stream = e.inputs;
  stream.push_back(e.labels.back());
  const std::vector<Run> runs = runs_of(stream, lay);
  std::vector<int32_t> want(L, data::kIgnore);
  std::map<Motif, Motif> value_of;
  size_t pairs = 0, last_key_run = 0;
  for (size_t r = 0; r < runs.size(); ++r) {
    const Run& run = runs[r];
    if (run.kind == kPad) CHECK(r == 0);  // left padding only
    if (run.kind == kNoise) stats->noise_tokens += static_cast<int64_t>(run.end - run.begin);
    if (run.kind == kCopy) {
      CHECK_FALSE(multi_query);
      CHECK(r + 3 == runs.size());  // copy, probe key, probe value
    }
    if (run.kind == kValue) CHECK((r > 0 && runs[r - 1].kind == kKey));
    if (run.kind != kKey) continue;
    REQUIRE(r + 1 < runs.size());
    const Run& val = runs[r + 1];
    REQUIRE(val.kind == kValue);
    CHECK(run.end - run.begin <= static_cast<size_t>(K));
    CHECK(val.end - val.begin <= static_cast<size_t>(W));
    CHECK(distinct_tokens(stream, run.begin, run.end));
    CHECK(distinct_tokens(stream, val.begin, val.end));
    stats->key_sizes.insert(run.end - run.begin);
    stats->value_sizes.insert(val.end - val.begin);
    const Motif key(stream.begin() + static_cast<std::ptrdiff_t>(run.begin), stream.begin() + static_cast<std::ptrdiff_t>(run.end));
    const Motif value(stream.begin() + static_cast<std::ptrdiff_t>(val.begin), stream.begin() + static_cast<std::ptrdiff_t>(val.end));
    const bool last = r + 2 == runs.size();
    const bool repeated = value_of.count(key) > 0;
    if (repeated) CHECK(value_of[key] == value);  // one value motif per key within a sequence
    if (last) REQUIRE(repeated);                   // the probe was in the context
    value_of[key] = value;
    if (repeated && (multi_query || last))
      for (size_t j = val.begin; j < val.end; ++j) want[j - 1] = stream[j];
    ++pairs;
    last_key_run = r;
  }
  CHECK(last_key_run + 2 == runs.size());
  CHECK(pairs >= 2);
  for (int32_t l : e.labels) stats->scored += l != data::kIgnore;
  return want;
}

/// A naive solver that reads inputs[0..t] only: find the key motif the scored position is in (a run of key
/// tokens ending at t, or the one before the value run ending at t), find its latest earlier complete
/// occurrence, answer the token of the value that followed at the same offset. whole_key false matches
/// only the key's last token (a wrong solver: the tests check it fails).
double naive_accuracy(const data::TaskDataset& ds, const Layout& lay, int64_t n, bool whole_key = true) {
  int64_t right = 0, total = 0;
  for (int64_t i = 0; i < n; ++i) {
    const data::TaskExample e = ds.example(1, i);
    const std::vector<int32_t>& x = e.inputs;
    const auto is = [&](int64_t j, Kind k) { return j >= 0 && j < static_cast<int64_t>(x.size()) && lay.kind(x[static_cast<size_t>(j)]) == k; };
    for (int64_t t = 0; t < static_cast<int64_t>(x.size()); ++t) {
      if (e.labels[static_cast<size_t>(t)] == data::kIgnore) continue;
      ++total;
      int64_t key_end = t, offset = 0;  // the key motif is [key_begin, key_end]; answer: value token `offset`
      if (is(t, kValue)) {
        int64_t v = t;
        while (is(v - 1, kValue)) --v;
        offset = t - v + 1;
        key_end = v - 1;
      }
      if (!is(key_end, kKey)) continue;
      int64_t key_begin = key_end;
      while (is(key_begin - 1, kKey)) --key_begin;
      if (!whole_key) key_begin = key_end;
      const Motif key(x.begin() + key_begin, x.begin() + key_end + 1);
      const auto len = static_cast<int64_t>(key.size());
      int32_t guess = -1;
      for (int64_t p = key_begin - 1; p >= 0 && guess < 0; --p) {
        const bool starts = whole_key ? !is(p - 1, kKey) : true;
        if (!starts || !std::equal(key.begin(), key.end(), x.begin() + p) || !is(p + len, kValue)) continue;
        bool inside = true;  // the value token at `offset` belongs to that value motif
        for (int64_t j = p + len; j <= p + len + offset; ++j) inside = inside && is(j, kValue);
        if (inside && p + len + offset < t + 1) guess = x[static_cast<size_t>(p + len + offset)];
      }
      right += guess == e.labels[static_cast<size_t>(t)];
    }
  }
  return total ? static_cast<double>(right) / static_cast<double>(total) : 0.0;
}

}  // namespace

TEST_CASE("fuzzy_recall: motifs of 1-3 tokens, MAD's scored value tokens, a naive solver at 100%", "[tasks][fuzzy_recall]") {
  auto ds = fuzzy("test_examples: 200\ntrain_examples: 50");
  CHECK(ds->task().vocab_size() == 16);
  CHECK(ds->task().seq_len() == 128);
  CHECK(ds->task().chance_accuracy() == Approx(1.0 / 8));  // S = 15: keys [0, 7), values [7, 15), pad 15
  const Layout lay{7, 15, 0, 15, -1};
  Stats stats;
  for (int64_t i = 0; i < 200; ++i) {
    const data::TaskExample e = ds->example(1, i);
    REQUIRE(e.inputs.size() == 128);
    CHECK(e.labels == expected_labels(e, lay, 3, 3, true, &stats));
  }
  CHECK(stats.key_sizes == std::set<size_t>{1, 2, 3});
  CHECK(stats.value_sizes == std::set<size_t>{1, 2, 3});
  CHECK(stats.scored > 200 * 10);
  CHECK(naive_accuracy(*ds, lay, 200) == 1.0);
  CHECK(naive_accuracy(*ds, lay, 200, false) < 0.8);  // matching one token of the key is not enough
}

TEST_CASE("fuzzy_recall: multi_query false, noise, and motifs of one token", "[tasks][fuzzy_recall]") {
  {
    auto ds = fuzzy("multi_query: false\nseq_len: 64\ntest_examples: 200\ntrain_examples: 50");
    const Layout lay{7, 14, 0, 14, 15};  // S = 14, pad 14, copy 15
    Stats stats;
    for (int64_t i = 0; i < 200; ++i) {
      const data::TaskExample e = ds->example(1, i);
      CHECK(std::count(e.inputs.begin(), e.inputs.end(), 15) == 1);
      CHECK(e.labels == expected_labels(e, lay, 3, 3, false, &stats));
    }
    CHECK(stats.scored <= 200 * 3);
    CHECK(naive_accuracy(*ds, lay, 200) == 1.0);
  }
  {
    auto ds = fuzzy("vocab_size: 24\nnoise_vocab_size: 8\nfrac_noise: 0.3\ntest_examples: 200\ntrain_examples: 50");
    const Layout lay{7, 15, 8, 23, -1};
    Stats stats;
    for (int64_t i = 0; i < 200; ++i) {
      const data::TaskExample e = ds->example(1, i);
      CHECK(e.labels == expected_labels(e, lay, 3, 3, true, &stats));
    }
    CHECK(stats.noise_tokens > 200 * 20);
    CHECK(naive_accuracy(*ds, lay, 200) == 1.0);
  }
  {
    auto ds = fuzzy("k_motif_size: 1\nv_motif_size: 2\nvocab_size: 9\nseq_len: 32\ntest_examples: 200\ntrain_examples: 50");
    const Layout lay{4, 8, 0, 8, -1};
    Stats stats;
    for (int64_t i = 0; i < 200; ++i) CHECK(ds->example(1, i).labels == expected_labels(ds->example(1, i), lay, 1, 2, true, &stats));
    CHECK(stats.key_sizes == std::set<size_t>{1});
    CHECK(naive_accuracy(*ds, lay, 200) == 1.0);
  }
}

TEST_CASE("fuzzy_recall: deterministic in the options and data.task.seed", "[tasks][fuzzy_recall]") {
  const std::string yaml = "seq_len: 64\ntest_examples: 100\ntrain_examples: 100\n";
  CHECK(testing::count_equal(*fuzzy(yaml), *fuzzy(yaml), 1, 100) == 100);
  CHECK(testing::count_equal(*fuzzy(yaml), *fuzzy(yaml), 0, 100) == 100);
  CHECK(testing::count_equal(*fuzzy(yaml), *fuzzy(yaml + "seed: 1"), 1, 100) == 0);
}

TEST_CASE("fuzzy_recall: bad options name their key", "[tasks][fuzzy_recall]") {
  CHECK_THAT(fuzzy_error("k_motif_size: 0"), Catch::Contains("data.task.k_motif_size"));
  CHECK_THAT(fuzzy_error("v_motif_size: -1"), Catch::Contains("data.task.v_motif_size"));
  CHECK(fuzzy_error("vocab_size: 7\ntest_examples: 20\ntrain_examples: 20") == "");  // 3 keys, 3 values: motifs of 3 fit
  CHECK_THAT(fuzzy_error("vocab_size: 6"), Catch::Contains("data.task.vocab_size"));     // 2 keys do not
  CHECK_THAT(fuzzy_error("seq_len: 10"), Catch::Contains("data.task.seq_len"));      // two 6-token pairs need 11
  CHECK(fuzzy_error("seq_len: 11\ntest_examples: 20\ntrain_examples: 20") == "");
  CHECK_THAT(fuzzy_error("multi_query: false\nseq_len: 11"), Catch::Contains("data.task.seq_len"));  // and the copy token
  CHECK_THAT(fuzzy_error("frac_noise: 0.1"), Catch::Contains("data.task.noise_vocab_size"));
  CHECK_THAT(fuzzy_error("frac_noise: 1\nnoise_vocab_size: 4\nvocab_size: 20"), Catch::Contains("data.task.frac_noise"));
  CHECK_THAT(fuzzy_error("num_tokens_to_copy: 3"), Catch::Contains("data.task.num_tokens_to_copy"));
}
