#pragma once
/// Induction heads with triggers (Bietti et al. 2023, "Birth of a Transformer: a Memory Viewpoint";
/// albietz/transformer-birth, ihead_data.py). The tokens are the characters of the data group's
/// corpus: its max_vocab most frequent characters, id 0 the most frequent (ties: the lower code
/// point first); a pair with a rarer character is left out of the statistics.
/// Ordinary tokens follow the corpus's character bigram model (the first token its unigram
/// frequencies). Each sequence has k = num_triggers trigger tokens, each with an output drawn
/// uniformly per sequence from the V - k non-trigger tokens; wherever a trigger occurs, its output
/// comes next. triggers: random = k distinct characters drawn per sequence from the unigram
/// frequencies (ihead_data.py's default); fixed = the k most frequent characters, ids 0..k-1 (the
/// paper's fixed_special_toks).
/// The label at a trigger's occurrence is its output, scored from the trigger's second occurrence on
/// (the paper's `outs >= 2`): the first occurrence shows the output, a later one is answered by
/// copying what followed the previous occurrence (an induction head).
/// Slices: which occurrence of its trigger a scored position is: the 2nd (one earlier example), the
/// 3rd-4th, the 5th or later.

#include "data/task.h"

namespace attnlab {

class InductionTask : public data::Task {
 public:
  struct Options {
    int64_t seq_len = 256;
    int64_t num_triggers = 5;         // the paper's README runs data_args.k=5
    int64_t max_vocab = 64;           // characters kept (fewer when the corpus has fewer)
    std::string triggers = "random";  // random | fixed
  };
  /// The corpus statistics the ordinary tokens follow.
  struct Bigrams {
    std::string corpus;              ///< the corpus name, for the summary
    std::vector<char32_t> alphabet;  ///< [V] token id -> character, most frequent first
    std::vector<int64_t> unigram;    ///< [V] occurrences of each character
    std::vector<int64_t> counts;     ///< [V*V] counts[a*V + b]: times b directly follows a
  };
  /// An example and the latent choices that made it (for tests and inspection).
  struct Sample {
    data::TaskExample example;
    std::vector<int32_t> triggers;  ///< [k] the trigger ids of this sequence
    std::vector<int32_t> outputs;   ///< [k] outputs[i] follows every occurrence of triggers[i]
  };

  InductionTask(Options o, Bigrams bigrams);
  static std::shared_ptr<data::Task> create(const data::TaskContext& context);
  /// Counts the characters and adjacent character pairs of `documents` (a pair never spans two
  /// documents) and keeps the `max_vocab` most frequent characters.
  static Bigrams count_bigrams(const std::vector<std::string>& documents, int64_t max_vocab);

  int64_t vocab_size() const override { return static_cast<int64_t>(b_.alphabet.size()); }
  int64_t seq_len() const override { return o_.seq_len; }
  data::TaskExample generate(data::TaskRng& rng) const override { return sample(rng).example; }
  Sample sample(data::TaskRng& rng) const;
  std::vector<std::string> slice_names() const override;
  double chance_accuracy() const override;
  std::string summary() const override;

  const Bigrams& bigrams() const { return b_; }
  /// The slice of a trigger's `occurrence`-th occurrence (>= 2).
  static int32_t occurrence_slice(int64_t occurrence);

 private:
  Options o_;
  Bigrams b_;
  std::vector<int64_t> unigram_cdf_;  // [V] running sums of the unigram counts
  std::vector<int64_t> row_cdf_;      // [V*V] running sums of each row of the bigram counts
  std::vector<double> unigram_weights_;

  int32_t draw_next(data::TaskRng& rng, int32_t previous) const;
};

}  // namespace attnlab
