#pragma once
/// The tokenizer interface and the name → factory table ("char", "bpe").

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "data/corpus.h"
#include "data/text_source.h"

namespace attnlab::data {

/// Maps UTF-8 text to token ids and back.
class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  /// Token ids of `text` (valid UTF-8). Lossless for text the tokenizer can represent.
  virtual std::vector<int32_t> encode(const std::string& text) const = 0;
  /// Text of `ids`; ids outside [0, vocab_size()) are a std::out_of_range error.
  virtual std::string decode(const std::vector<int32_t>& ids) const = 0;
  virtual int64_t vocab_size() const = 0;
  /// "char" or "bpe".
  virtual std::string name() const = 0;
  /// Writes the tokenizer's model file (atomically); the matching load() reads it back.
  virtual void save(const std::filesystem::path& path) const = 0;
  /// True when encoding any two pieces of a text cut at a code point boundary gives the ids of
  /// the whole (char); false when a cut must follow a newline (bpe encodes line by line).
  virtual bool splits_anywhere() const { return false; }
};

/// Builds a tokenizer from the training split (read in blocks: it may be larger than memory), or
/// loads it from `cache_dir` when an identical one (same training text and options) was built
/// before; new ones are saved there.
using TokenizerFactory = std::function<std::shared_ptr<Tokenizer>(
    const DataOptions& options, const TextSource& training_text,
    const std::filesystem::path& cache_dir)>;

/// Registered tokenizer names, sorted: {"bpe", "char"}.
std::vector<std::string> tokenizer_names();

/// The tokenizer `options.tokenizer` for `training_text` (UserError for an unknown name).
std::shared_ptr<Tokenizer> make_tokenizer(const DataOptions& options, const TextSource& training_text,
                                          const std::filesystem::path& cache_dir);

/// The tokenizer `name` saved at `path` (Tokenizer::save); UserError for an unknown name or a bad file.
std::shared_ptr<Tokenizer> load_tokenizer(const std::string& name, const std::filesystem::path& path);

}  // namespace attnlab::data
