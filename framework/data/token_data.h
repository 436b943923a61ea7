#pragma once
/// Train/validation token streams of one corpus under one tokenizer, cached on disk.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/corpus.h"
#include "data/text_source.h"
#include "data/token_stream.h"
#include "data/tokenizer.h"

namespace attnlab::data {

/// The text of a corpus split into training and validation parts, left on disk.
struct TextSplit {
  TextSource train;
  TextSource val;
  int64_t train_documents = 0;  ///< documents wholly in train (1 when a single document is cut)
  int64_t val_documents = 0;
  std::vector<uint64_t> train_starts, val_starts;  ///< byte offset of each document in its part
};

/// Documents joined with "\n\n". With several documents the cut is at the document boundary closest
/// to `train_fraction` of the bytes, keeping at least one document on each side (validation gets
/// the last documents); a single document is cut at that fraction (on a code point boundary).
TextSplit split_text(const std::vector<TextPiece>& documents, double train_fraction);

/// Train/validation token streams of one corpus under one tokenizer, cached on disk as token
/// shards (data/token_shards.h) and memory-mapped from there.
struct TokenData {
  std::shared_ptr<Tokenizer> tokenizer;
  TokenStream train, val;                  ///< token ids
  int64_t train_chars = 0, val_chars = 0;  ///< unicode code points, for bits-per-char
  std::string corpus_name;                 ///< Corpus::name
  std::string cache_path;                  ///< the prepared token folder
  bool from_cache = false;                 ///< tokens were mapped from an existing folder rather than encoded

  /// `data.prepared` set: that folder (load_prepared). Otherwise scans the corpus, splits it,
  /// builds or loads the tokenizer, and encodes the splits (`threads` at once) into
  /// `<root>/cache/tokens-<corpus>-<key>/` unless that folder exists (key: hash of the corpus bytes
  /// and tokenizer settings). A folder is written under a temporary name and renamed when
  /// complete; a damaged one is rebuilt, not trusted.
  static TokenData prepare(const DataOptions& options, int threads = 1);
  /// A prepared token folder (attnlab prepare-data): index.yaml, the tokenizer, the shards. The
  /// corpus is not read: start-up costs the same for any corpus size.
  static TokenData load_prepared(const std::string& folder);
};

/// `<root>/cache`: where tokenizer models and token streams are cached.
std::string cache_dir(const DataOptions& options);

}  // namespace attnlab::data
