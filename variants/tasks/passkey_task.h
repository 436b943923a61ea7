#pragma once
/// Passkey retrieval (Mohtashami & Jaggi 2023, landmark attention's llama/run_test.py; RULER's
/// needle-in-a-haystack tasks grow from it). One character-level text of L + 1 characters:
///   <filler before>\n<needle>\n<filler after>\nWhat is the pass key? The pass key is NNNNN
/// with the needle "The pass key is NNNNN. Remember it. NNNNN is the pass key." and NNNNN
/// num_digits uniform random digits (leading zeros allowed, so every digit is a 1-in-10 guess;
/// landmark draws 1..50000). The model reads the first L characters; the scored positions are the
/// last num_digits, each labelled with the next digit of the key (the first at the space after "is").
/// The filler is F = L + 1 - (89 + 3·num_digits) characters in all, cut at the depth: the first
/// round(depth·F) come before the needle. depth: a fraction in [0, 1], or random: a cut uniform in
/// [0, F] per example (landmark's randint). filler: repeat = "The grass is green. The sky is blue.
/// The sun is yellow. Here we go. There and back again." repeated (joined by spaces) from its
/// start; corpus = a random span of F characters of the data group's corpus (documents joined by
/// newlines). Landmark's task description line is left out: at L = 256 it would not fit.
/// Vocabulary (128): token id = ASCII code; newline and the printable characters 32..126 occur,
/// and any other character of a corpus (non-ASCII such as '—', a tab, a carriage return) is 127.
/// Slices (random depth only): the depth cut/F of the needle in five buckets of 0.2.

#include <optional>

#include "data/task.h"

namespace attnlab {

class PasskeyTask : public data::Task {
 public:
  struct Options {
    int64_t seq_len = 256;
    int64_t num_digits = 5;
    std::optional<double> depth;    // nullopt: random
    std::string filler = "repeat";  // repeat | corpus
  };
  static constexpr int64_t kVocab = 128;
  static constexpr int32_t kOther = 127;  ///< any character outside ASCII 32..126 and newline

  /// `corpus`: the filler tokens when o.filler is corpus (empty otherwise); `corpus_name` for the summary.
  PasskeyTask(Options o, std::vector<uint8_t> corpus, std::string corpus_name);
  static std::shared_ptr<data::Task> create(const data::TaskContext& context);

  int64_t vocab_size() const override { return kVocab; }
  int64_t seq_len() const override { return o_.seq_len; }
  data::TaskExample generate(data::TaskRng& rng) const override;
  std::vector<std::string> slice_names() const override;
  double chance_accuracy() const override { return 0.1; }
  std::string summary() const override;

  /// The token of a character.
  static int32_t token_of(char32_t ch);
  /// Characters of an example that are not filler: the needle, the question, the separators, the key.
  static int64_t fixed_chars(int64_t num_digits);
  /// F: the filler characters of an example.
  int64_t filler_chars() const { return o_.seq_len + 1 - fixed_chars(o_.num_digits); }
  /// The slice of a needle after `cut` of `filler` filler characters: min(4, floor(5·cut/filler)).
  static int32_t depth_slice(int64_t cut, int64_t filler);

 private:
  Options o_;
  std::vector<uint8_t> corpus_;
  std::string corpus_name_;
};

}  // namespace attnlab
