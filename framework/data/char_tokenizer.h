#pragma once
/// Character-level tokenizer: one id per unicode code point seen in the training split.

#include <unordered_map>

#include "data/tokenizer.h"

namespace attnlab::data {

/// Vocabulary: id 0 is the unknown id (decoded as U+FFFD), ids 1.. are the distinct code points of
/// the training text in ascending order. decode(encode(x)) == x when every character of x is known.
class CharTokenizer : public Tokenizer {
 public:
  static constexpr int32_t kUnknownId = 0;

  /// The vocabulary of `text` (valid UTF-8), read in blocks.
  explicit CharTokenizer(const TextSource& text);
  explicit CharTokenizer(const std::string& text) : CharTokenizer(TextSource(text)) {}
  /// Reads a file written by save(); UserError when it is missing or malformed.
  static std::shared_ptr<CharTokenizer> load(const std::filesystem::path& path);
  /// TokenizerFactory: loads `<cache_dir>/char-<hash of text>.vocab` or builds and saves it.
  static std::shared_ptr<Tokenizer> build(const DataOptions& options, const TextSource& training_text,
                                          const std::filesystem::path& cache_dir);

  std::vector<int32_t> encode(const std::string& text) const override;
  std::string decode(const std::vector<int32_t>& ids) const override;
  int64_t vocab_size() const override { return static_cast<int64_t>(code_points_.size()) + 1; }
  std::string name() const override { return "char"; }
  bool splits_anywhere() const override { return true; }
  /// A text file: a header line, the number of code points, then one code point (decimal) a line.
  void save(const std::filesystem::path& path) const override;

  /// The known code points in id order (id = index + 1).
  const std::vector<char32_t>& code_points() const { return code_points_; }

 private:
  explicit CharTokenizer(std::vector<char32_t> sorted_code_points);

  std::vector<char32_t> code_points_;
  std::unordered_map<char32_t, int32_t> ids_;
};

}  // namespace attnlab::data
