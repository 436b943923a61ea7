// The induction task (Bietti et al. 2023): corpus statistics, the trigger rule, a naive solver,
// the bigram statistics of the ordinary tokens, determinism and option errors.

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>

#include "config/yaml_loader.h"
#include "core/build_info.h"
#include "corpus_task_test_util.h"
#include "data/utf8.h"
#include "support/catch.h"
#include "support/temp_dir.h"
#include "tasks/induction_task.h"

using namespace attnlab;
using attnlab::testing::TempDir;

namespace {

/// ~25 KB of English-like text over ~30 characters: sentences of words from a small list.
std::string word_corpus() {
  static const char* words[] = {"the",  "whale",   "sea",   "ship", "captain", "white", "harpoon", "of",   "and",
                                "a",    "deck",    "quiet", "rope", "oil",     "boat",  "jumped",  "zeal", "vexed",
                                "ahab", "ishmael", "by",    "in",   "his",     "her",   "was",     "fog"};
  const auto n_words = static_cast<int64_t>(sizeof(words) / sizeof(words[0]));
  data::TaskRng rng(2023);
  std::string text;
  for (int sentence = 0; sentence < 600; ++sentence) {
    const int64_t n = rng.range(4, 12);
    for (int64_t w = 0; w < n; ++w) {
      std::string word = words[rng.below(n_words)];
      if (w == 0) word[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(word[0])));
      text += word;
      if (w + 1 == n)
        text += rng.below(4) == 0 ? ".\n" : ". ";
      else
        text += rng.below(8) == 0 ? ", " : " ";
    }
  }
  return text;
}

/// Characters of `text` by count, most frequent first (ties: lower code point first).
std::vector<char32_t> by_frequency(const std::string& text) {
  std::map<char32_t, int64_t> count;
  for (char32_t ch : data::decode_utf8(text)) ++count[ch];
  std::vector<std::pair<char32_t, int64_t>> v(count.begin(), count.end());
  std::stable_sort(v.begin(), v.end(), [](const auto& x, const auto& y) { return x.second > y.second; });
  std::vector<char32_t> chars;
  for (const auto& [ch, n] : v) chars.push_back(ch);
  return chars;
}

std::shared_ptr<InductionTask> induction(const std::string& path, const std::string& options) {
  return testing::make_corpus_task<InductionTask>(InductionTask::create, path, "name: induction\n" + options);
}

std::string induction_error(const std::string& path, const std::string& options) {
  return testing::corpus_task_error(InductionTask::create, path, "name: induction\n" + options);
}

int32_t expected_slice(int64_t occurrence) { return occurrence == 2 ? 0 : occurrence <= 4 ? 1 : 2; }

}  // namespace

TEST_CASE("induction: characters and pairs are counted from the corpus", "[tasks][induction]") {
  auto b = InductionTask::count_bigrams({"aaabbc"}, 64);
  CHECK(b.alphabet == std::vector<char32_t>{U'a', U'b', U'c'});
  CHECK(b.unigram == std::vector<int64_t>{3, 2, 1});
  CHECK(b.counts == std::vector<int64_t>{2, 1, 0, /**/ 0, 1, 1, /**/ 0, 0, 0});
  // a pair never spans two documents; a tie goes to the lower code point
  b = InductionTask::count_bigrams({"ab", "ba"}, 64);
  CHECK(b.alphabet == std::vector<char32_t>{U'a', U'b'});
  CHECK(b.counts == std::vector<int64_t>{0, 1, 1, 0});
  // a character left out (x, the third most frequent with max_vocab 2) breaks its pairs
  b = InductionTask::count_bigrams({"aabxab"}, 2);
  CHECK(b.alphabet == std::vector<char32_t>{U'a', U'b'});
  CHECK(b.counts == std::vector<int64_t>{1, 2, 0, 0});
  // a multi-byte character is one token
  b = InductionTask::count_bigrams({"\u2014\u00e9\u2014"}, 64);
  CHECK(b.alphabet == std::vector<char32_t>{U'\u2014', U'\u00e9'});
  CHECK(b.counts == std::vector<int64_t>{0, 1, 1, 0});
}

TEST_CASE("induction: every trigger is followed by its output; repeats are scored", "[tasks][induction]") {
  TempDir dir;
  const std::string text = word_corpus(), path = dir.write("corpus.txt", text);
  const auto distinct = static_cast<int64_t>(by_frequency(text).size());
  for (const std::string mode : {"random", "fixed"}) {
    INFO("triggers: " << mode);
    const int64_t L = 128, k = 3;
    auto task = induction(path, "seq_len: 128\nnum_triggers: 3\ntriggers: " + mode);
    const int64_t V = task->vocab_size();
    REQUIRE(V == distinct);
    CHECK(task->seq_len() == L);
    CHECK(task->chance_accuracy() == Approx(1.0 / static_cast<double>(V - k)));
    REQUIRE(task->slice_names().size() == 3);

    int64_t scored = 0, bad_range = 0, bad_follow = 0, bad_label = 0, bad_slice = 0, bad_trigger = 0;
    std::set<std::vector<int32_t>> trigger_sets;
    std::vector<int64_t> per_slice(3, 0);
    for (uint64_t i = 0; i < 200; ++i) {
      data::TaskRng rng(5, 1, i), again(5, 1, i);
      const InductionTask::Sample s = task->sample(rng);
      const data::TaskExample& e = s.example;
      const data::TaskExample g = task->generate(again);
      REQUIRE(g.inputs == e.inputs);
      REQUIRE(g.labels == e.labels);
      REQUIRE(g.slices == e.slices);
      REQUIRE(e.inputs.size() == static_cast<size_t>(L));
      REQUIRE(e.labels.size() == static_cast<size_t>(L));
      REQUIRE(e.slices.size() == static_cast<size_t>(L));
      REQUIRE(s.triggers.size() == static_cast<size_t>(k));
      REQUIRE(s.outputs.size() == static_cast<size_t>(k));
      if (std::set<int32_t>(s.triggers.begin(), s.triggers.end()).size() != static_cast<size_t>(k)) ++bad_trigger;
      if (mode == "fixed" && s.triggers != std::vector<int32_t>{0, 1, 2}) ++bad_trigger;
      trigger_sets.insert(s.triggers);
      for (int32_t out : s.outputs)
        if (out < 0 || out >= V || std::count(s.triggers.begin(), s.triggers.end(), out)) ++bad_trigger;

      std::vector<int64_t> seen(static_cast<size_t>(k), 0);
      for (int64_t t = 0; t < L; ++t) {
        if (e.inputs[t] < 0 || e.inputs[t] >= V) ++bad_range;
        const auto j = std::find(s.triggers.begin(), s.triggers.end(), e.inputs[t]) - s.triggers.begin();
        if (j == k) {  // an ordinary token: never scored
          if (e.labels[t] != data::kIgnore || e.slices[t] != -1) ++bad_label;
          continue;
        }
        const int64_t occurrence = ++seen[j];
        if (t + 1 < L && e.inputs[t + 1] != s.outputs[j]) ++bad_follow;
        if (occurrence == 1) {
          if (e.labels[t] != data::kIgnore || e.slices[t] != -1) ++bad_label;
        } else {
          ++scored;
          if (e.labels[t] != s.outputs[j]) ++bad_label;
          if (e.slices[t] != expected_slice(occurrence))
            ++bad_slice;
          else
            ++per_slice[e.slices[t]];
        }
      }
    }
    CHECK(bad_range == 0);
    CHECK(bad_trigger == 0);
    CHECK(bad_follow == 0);
    CHECK(bad_label == 0);
    CHECK(bad_slice == 0);
    CHECK(scored > 1000);
    for (int64_t n : per_slice) CHECK(n > 0);
    if (mode == "random")
      CHECK(trigger_sets.size() > 20);
    else
      CHECK(trigger_sets.size() == 1);
  }
}

TEST_CASE("induction: a naive copy-the-last-successor solver answers every scored position", "[tasks][induction]") {
  TempDir dir;
  const std::string text = word_corpus(), path = dir.write("corpus.txt", text);
  auto task = induction(path, "");  // the defaults: L 256, 5 random triggers
  const auto& b = task->bigrams();
  const int64_t V = task->vocab_size();
  int64_t scored = 0, copied = 0, bigram_right = 0;
  for (uint64_t i = 0; i < 200; ++i) {
    data::TaskRng rng(11, 1, i);
    const data::TaskExample e = task->generate(rng);
    for (size_t t = 0; t < e.inputs.size(); ++t) {
      if (e.labels[t] == data::kIgnore) continue;
      ++scored;
      // the task's definition: what followed this token's previous occurrence
      for (size_t s = t; s-- > 0;) {
        if (e.inputs[s] != e.inputs[t]) continue;
        copied += e.inputs[s + 1] == e.labels[t];
        break;
      }
      // a model of the corpus alone: the most frequent successor
      const int32_t a = e.inputs[t];
      const auto row = b.counts.begin() + a * V;
      bigram_right += std::max_element(row, row + V) - row == e.labels[t];
    }
  }
  CHECK(scored > 2000);
  CHECK(copied == scored);
  // the outputs are random per sequence: the corpus does not predict them
  CHECK(static_cast<double>(bigram_right) / static_cast<double>(scored) < 0.15);
}

TEST_CASE("induction: ordinary tokens follow the corpus's bigram statistics", "[tasks][induction]") {
  TempDir dir;
  const std::string text = word_corpus(), path = dir.write("corpus.txt", text);
  auto task = induction(path, "num_triggers: 5");
  const int64_t V = task->vocab_size();
  const auto& alphabet = task->bigrams().alphabet;
  auto id = [&](char32_t ch) { return std::find(alphabet.begin(), alphabet.end(), ch) - alphabet.begin(); };

  // the corpus's conditional distribution, counted here from the text
  std::vector<double> expected(static_cast<size_t>(V * V), 0), unigram(static_cast<size_t>(V), 0);
  const std::vector<char32_t> chars = data::decode_utf8(text);
  for (size_t i = 0; i < chars.size(); ++i) {
    unigram[id(chars[i])] += 1;
    if (i + 1 < chars.size()) expected[id(chars[i]) * V + id(chars[i + 1])] += 1;
  }
  for (int64_t a = 0; a < V; ++a) {
    double row = 0;
    for (int64_t b = 0; b < V; ++b) row += expected[a * V + b];
    for (int64_t b = 0; b < V; ++b) expected[a * V + b] = row > 0 ? expected[a * V + b] / row : 0;
  }
  double total = 0;
  for (double u : unigram) total += u;
  for (double& u : unigram) u /= total;

  // transitions out of the ordinary tokens (a trigger's successor is its output)
  std::vector<double> observed(static_cast<size_t>(V * V), 0);
  for (uint64_t i = 0; i < 2000; ++i) {
    data::TaskRng rng(3, 1, i);
    const InductionTask::Sample s = task->sample(rng);
    const auto& in = s.example.inputs;
    for (size_t t = 0; t + 1 < in.size(); ++t)
      if (std::find(s.triggers.begin(), s.triggers.end(), in[t]) == s.triggers.end())
        observed[in[t] * V + in[t + 1]] += 1;
  }
  // Pearson's statistic per cell with at least 5 expected; ~1 per cell (or less) for the right model
  auto statistic = [&](auto&& p) {
    double chi2 = 0;
    int64_t cells = 0, impossible = 0;
    for (int64_t a = 0; a < V; ++a) {
      double n = 0;
      for (int64_t b = 0; b < V; ++b) n += observed[a * V + b];
      for (int64_t b = 0; b < V; ++b) {
        const double e = n * p(a, b), o = observed[a * V + b];
        if (e == 0 && o > 0) ++impossible;
        if (e < 5) continue;
        chi2 += (o - e) * (o - e) / e;
        ++cells;
      }
    }
    return std::make_tuple(chi2 / static_cast<double>(std::max<int64_t>(cells, 1)), cells, impossible);
  };
  const auto [per_cell, cells, impossible] = statistic([&](int64_t a, int64_t b) { return expected[a * V + b]; });
  INFO("chi2 per cell " << per_cell << " over " << cells << " cells");
  CHECK(cells > 50);
  CHECK(impossible == 0);
  CHECK(per_cell < 1.5);
  // the same statistic tells a generator that ignores the previous character (unigram draws) apart
  const auto [unigram_per_cell, unigram_cells, unigram_impossible] =
      statistic([&](int64_t, int64_t b) { return unigram[b]; });
  INFO("unigram model: chi2 per cell " << unigram_per_cell);
  CHECK(unigram_per_cell > 20);
  (void)unigram_cells;
  (void)unigram_impossible;
}

TEST_CASE("induction: max_vocab keeps the most frequent characters", "[tasks][induction]") {
  TempDir dir;
  const std::string text = word_corpus(), path = dir.write("corpus.txt", text);
  auto task = induction(path, "max_vocab: 8\nnum_triggers: 2\ntriggers: fixed");
  REQUIRE(task->vocab_size() == 8);
  const std::vector<char32_t> ranked = by_frequency(text);
  CHECK(task->bigrams().alphabet == std::vector<char32_t>(ranked.begin(), ranked.begin() + 8));
  CHECK(task->bigrams().alphabet[0] == U' ');
  CHECK(task->chance_accuracy() == Approx(1.0 / 6));
  for (uint64_t i = 0; i < 50; ++i) {
    data::TaskRng rng(1, 1, i);
    const auto s = task->sample(rng);
    CHECK(s.triggers == std::vector<int32_t>{0, 1});  // fixed: the two most frequent
    for (int32_t token : s.example.inputs) REQUIRE((token >= 0 && token < 8));
  }
}

TEST_CASE("induction: examples depend only on the seed", "[tasks][induction]") {
  TempDir dir;
  const std::string path = dir.write("corpus.txt", word_corpus());
  auto first = induction(path, "seq_len: 64"), second = induction(path, "seq_len: 64");
  int64_t differ = 0;
  for (uint64_t i = 0; i < 20; ++i) {
    data::TaskRng a(3, 1, i), b(3, 1, i), other(4, 1, i);
    const data::TaskExample x = first->generate(a), y = second->generate(b), z = first->generate(other);
    CHECK(x.inputs == y.inputs);
    CHECK(x.labels == y.labels);
    CHECK(x.slices == y.slices);
    differ += x.inputs != z.inputs;
  }
  CHECK(differ >= 19);
}

TEST_CASE("induction: bad options name their key", "[tasks][induction]") {
  TempDir dir;
  const std::string path = dir.write("corpus.txt", word_corpus());
  CHECK(induction_error(path, "") == "");
  CHECK_THAT(induction_error(path, "num_triggers: 0"), Catch::Contains("data.task.num_triggers: must be >= 1"));
  CHECK_THAT(induction_error(path, "seq_len: 2"), Catch::Contains("data.task.seq_len: must be >= 3"));
  CHECK_THAT(induction_error(path, "max_vocab: 4"),
             Catch::Contains("data.task.max_vocab: must be in [num_triggers + 1"));
  CHECK_THAT(induction_error(path, "max_vocab: 5000"), Catch::Contains("data.task.max_vocab"));
  CHECK_THAT(induction_error(path, "triggers: sometimes"), Catch::Contains("data.task.triggers"));
  CHECK_THAT(induction_error(path, "num_trigers: 3"), Catch::Contains("data.task.num_trigers"));
  CHECK_THAT(induction_error(path, "seq_len: long"), Catch::Contains("data.task.seq_len"));
  // the error points at the line of the key in test.yaml (line 1 is path:, 2 task:, 3 name:)
  CHECK_THAT(induction_error(path, "num_triggers: 0"), Catch::StartsWith("test.yaml:4:"));
  // a corpus of four characters cannot hold five triggers and an output
  const std::string tiny = dir.write("tiny.txt", "abcd abcd dcba");
  CHECK_THAT(induction_error(tiny, ""),
             Catch::Contains("data.task.num_triggers: corpus 'tiny' has 5 distinct characters"));
  // a missing corpus: load_corpus's one-line error
  CHECK_THAT(induction_error(dir / "absent.txt", ""), Catch::Contains("data.path: file not found"));
}

TEST_CASE("induction: the data=induction preset builds on moby_dick", "[tasks][induction][corpus]") {
  const std::filesystem::path source(ATTNLAB_SOURCE_DIR);
  data::DataOptions data =
      data::DataOptions::from_config(cfg::load_yaml_file((source / "configs/data/induction.yaml").string()));
  data.root = (source / "data").string();
  if (!std::filesystem::exists(source / "data/moby_dick/moby_dick.txt")) {
    WARN("skipped: data/moby_dick/moby_dick.txt not found (run scripts/setup.sh)");
    return;
  }
  auto task = testing::make_task_from<InductionTask>(InductionTask::create, data);
  CHECK(task->vocab_size() == 64);
  CHECK(task->seq_len() == 256);
  CHECK(task->bigrams().alphabet[0] == U' ');
  CHECK(task->bigrams().alphabet[1] == U'e');
  CHECK_THAT(task->summary(), Catch::Contains("moby_dick"));
  int64_t scored = 0;
  for (uint64_t i = 0; i < 50; ++i) {
    data::TaskRng rng(0, 1, i);
    const data::TaskExample e = task->generate(rng);
    for (int32_t label : e.labels) scored += label != data::kIgnore;
  }
  CHECK(scored > 50);
}
