#include "tasks/induction_task.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "data/utf8.h"

namespace attnlab {

namespace {
// V x V pair counts: 1024 characters is 8 MB, far more than any alphabet corpus.
constexpr int64_t kMaxVocab = 1024;
}  // namespace

InductionTask::InductionTask(Options o, Bigrams bigrams) : o_(std::move(o)), b_(std::move(bigrams)) {
  const int64_t V = vocab_size();
  int64_t sum = 0;
  for (int64_t a = 0; a < V; ++a) {
    sum += b_.unigram[a];
    unigram_cdf_.push_back(sum);
    unigram_weights_.push_back(static_cast<double>(b_.unigram[a]));
  }
  row_cdf_.resize(b_.counts.size());
  for (int64_t a = 0; a < V; ++a) {
    int64_t row = 0;
    for (int64_t b = 0; b < V; ++b) row_cdf_[a * V + b] = row += b_.counts[a * V + b];
  }
}

std::shared_ptr<data::Task> InductionTask::create(const data::TaskContext& c) {
  Options o;
  cfg::MapReader r = c.reader();
  o.seq_len = r.integer("seq_len", o.seq_len);
  o.num_triggers = r.integer("num_triggers", o.num_triggers);
  o.max_vocab = r.integer("max_vocab", o.max_vocab);
  o.triggers = r.choice("triggers", o.triggers, {"random", "fixed"});
  r.finish();
  if (o.seq_len < 3)
    c.fail("seq_len", fmt::format("must be >= 3 (a trigger, its output, the trigger again), got {}", o.seq_len));
  if (o.num_triggers < 1) c.fail("num_triggers", fmt::format("must be >= 1, got {}", o.num_triggers));
  if (o.max_vocab < o.num_triggers + 1 || o.max_vocab > kMaxVocab)
    c.fail("max_vocab", fmt::format("must be in [num_triggers + 1, {}] = [{}, {}], got {}", kMaxVocab,
                                    o.num_triggers + 1, kMaxVocab, o.max_vocab));
  const data::Corpus corpus = data::load_corpus(c.data);  // a missing corpus: its one-line UserError
  Bigrams b = count_bigrams(corpus.documents, o.max_vocab);
  b.corpus = corpus.name;
  const auto V = static_cast<int64_t>(b.alphabet.size());
  if (V < o.num_triggers + 1)
    c.fail("num_triggers",
           fmt::format("corpus '{}' has {} distinct characters: too few for {} triggers and outputs that "
                       "are not triggers",
                       corpus.name, V, o.num_triggers));
  return std::make_shared<InductionTask>(o, std::move(b));
}

InductionTask::Bigrams InductionTask::count_bigrams(const std::vector<std::string>& documents, int64_t max_vocab) {
  // two passes over the text (decoding twice) rather than holding every document's code points
  std::unordered_map<char32_t, int64_t> frequency;
  for (const auto& document : documents)
    for (char32_t ch : data::decode_utf8(document)) ++frequency[ch];
  std::vector<std::pair<char32_t, int64_t>> chars(frequency.begin(), frequency.end());
  std::sort(chars.begin(), chars.end(), [](const auto& x, const auto& y) {
    return x.second != y.second ? x.second > y.second : x.first < y.first;
  });
  if (static_cast<int64_t>(chars.size()) > max_vocab) chars.resize(static_cast<size_t>(max_vocab));

  Bigrams b;
  const auto V = static_cast<int64_t>(chars.size());
  std::unordered_map<char32_t, int32_t> id;
  for (const auto& [ch, count] : chars) {
    id[ch] = static_cast<int32_t>(b.alphabet.size());
    b.alphabet.push_back(ch);
    b.unigram.push_back(count);
  }
  b.counts.assign(static_cast<size_t>(V * V), 0);
  for (const auto& document : documents) {
    int32_t previous = -1;  // -1: start of the document, or a character left out
    for (char32_t ch : data::decode_utf8(document)) {
      const auto it = id.find(ch);
      const int32_t current = it == id.end() ? -1 : it->second;
      if (previous >= 0 && current >= 0) ++b.counts[static_cast<size_t>(previous * V + current)];
      previous = current;
    }
  }
  return b;
}

int32_t InductionTask::draw_next(data::TaskRng& rng, int32_t previous) const {
  const int64_t V = vocab_size();
  auto first = row_cdf_.begin() + previous * V, last = first + V;
  // a character seen only before a left-out one (or at a document's end) has no pairs: unigram instead
  if (*(last - 1) == 0) {
    first = unigram_cdf_.begin();
    last = unigram_cdf_.end();
  }
  const int64_t r = rng.below(*(last - 1));
  return static_cast<int32_t>(std::upper_bound(first, last, r) - first);
}

InductionTask::Sample InductionTask::sample(data::TaskRng& rng) const {
  const int64_t V = vocab_size(), L = o_.seq_len, k = o_.num_triggers;
  Sample s;
  if (o_.triggers == "fixed") {
    for (int64_t j = 0; j < k; ++j) s.triggers.push_back(static_cast<int32_t>(j));
  } else {
    for (int64_t id : rng.weighted_distinct(unigram_weights_, k)) s.triggers.push_back(static_cast<int32_t>(id));
  }
  std::vector<int32_t> trigger_of(static_cast<size_t>(V), -1);  // token -> its index among the triggers
  for (int64_t j = 0; j < k; ++j) trigger_of[s.triggers[j]] = static_cast<int32_t>(j);
  // outputs avoid the triggers: in the paper a trigger may output itself (or two may output each
  // other) and lock the rest of the sequence into a loop, ~8% of sequences at k = 5, V = 64
  std::vector<int32_t> ordinary;
  for (int32_t id = 0; id < V; ++id)
    if (trigger_of[id] < 0) ordinary.push_back(id);
  for (int64_t j = 0; j < k; ++j) s.outputs.push_back(ordinary[rng.below(static_cast<int64_t>(ordinary.size()))]);

  data::TaskExample& e = s.example;
  e.inputs.assign(static_cast<size_t>(L), 0);
  e.labels.assign(static_cast<size_t>(L), data::kIgnore);
  e.slices.assign(static_cast<size_t>(L), -1);
  std::vector<int64_t> seen(static_cast<size_t>(k), 0);
  int32_t token =
      static_cast<int32_t>(std::upper_bound(unigram_cdf_.begin(), unigram_cdf_.end(), rng.below(unigram_cdf_.back())) -
                           unigram_cdf_.begin());
  for (int64_t t = 0; t < L; ++t) {
    e.inputs[t] = token;
    const int32_t j = trigger_of[token];
    if (j >= 0) {
      token = s.outputs[j];
      if (++seen[j] >= 2) {  // the first occurrence shows the output; from the second on it can be copied
        e.labels[t] = token;
        e.slices[t] = occurrence_slice(seen[j]);
      }
    } else if (t + 1 < L) {
      token = draw_next(rng, token);
    }
  }
  return s;
}

int32_t InductionTask::occurrence_slice(int64_t occurrence) {
  if (occurrence <= 2) return 0;
  return occurrence <= 4 ? 1 : 2;
}

std::vector<std::string> InductionTask::slice_names() const {
  return {"2nd occurrence", "3rd-4th occurrence", "5th+ occurrence"};
}

double InductionTask::chance_accuracy() const { return 1.0 / static_cast<double>(vocab_size() - o_.num_triggers); }

std::string InductionTask::summary() const {
  return fmt::format("{} characters of {} (bigram model), {} {} triggers, outputs among the other {}, L {}",
                     vocab_size(), b_.corpus, o_.num_triggers, o_.triggers, vocab_size() - o_.num_triggers, o_.seq_len);
}

}  // namespace attnlab
