#pragma once
/// Train/validation token streams of one corpus under one tokenizer, cached on disk.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/corpus.h"
#include "data/tokenizer.h"

namespace attnlab::data {

/// The text of a corpus split into training and validation parts.
struct TextSplit {
  std::string train;
  std::string val;
  int64_t train_documents = 0;  ///< documents wholly in train (1 when a single document is cut)
  int64_t val_documents = 0;
};

/// Documents joined with "\n\n". With several documents the cut is at the document boundary closest
/// to `train_fraction` of the bytes, keeping at least one document on each side (validation gets
/// the last documents); a single document is cut at that fraction (on a code point boundary).
TextSplit split_text(const std::vector<std::string>& documents, double train_fraction);

/// Train/validation token streams of one corpus under one tokenizer, cached on disk.
struct TokenData {
  std::shared_ptr<Tokenizer> tokenizer;
  std::vector<int32_t> train, val;         ///< token ids
  int64_t train_chars = 0, val_chars = 0;  ///< unicode code points, for bits-per-char
  std::string corpus_name;                 ///< Corpus::name
  std::string cache_path;                  ///< the token cache file
  bool from_cache = false;                 ///< tokens were read from cache_path rather than encoded

  /// Loads the corpus, splits it, builds or loads the tokenizer, and encodes the splits or loads
  /// them from `<root>/cache/tokens-<key>.bin` (key: hash of the corpus bytes and tokenizer settings).
  /// Cache files are written atomically; a corrupt one is rebuilt, not trusted.
  static TokenData prepare(const DataOptions& options);
};

/// `<root>/cache`: where tokenizer models and token streams are cached.
std::string cache_dir(const DataOptions& options);

}  // namespace attnlab::data
