#pragma once
/// A corpus's token streams on disk: a folder with index.yaml, the tokenizer's model file and
/// shard files of raw little-endian ids (uint16 when the vocabulary fits, int32 otherwise).
/// Written by `attnlab prepare-data` and by the token cache of every text run; read by mapping
/// the shards (data/token_stream.h), so a run's memory does not grow with its corpus.
///
///   <folder>/index.yaml             format, corpus, tokenizer, dtype, key, per split: tokens,
///                                   characters, documents, ids per shard
///   <folder>/tokenizer.<name>       the tokenizer (Tokenizer::save)
///   <folder>/<split>-00000.bin ...  ids, at most `shard_tokens` a file (split: train, val)
///   <folder>/<split>-documents.bin  int64 index of each document's first id in the split

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "data/text_source.h"
#include "data/token_stream.h"
#include "data/tokenizer.h"

namespace attnlab::data {

/// One split of a prepared folder.
struct ShardedSplit {
  int64_t tokens = 0;
  int64_t chars = 0;                  ///< unicode code points of the split's text
  std::vector<int64_t> shard_tokens;  ///< ids in each shard file, in order
  std::vector<int64_t> document_starts;  ///< index of each document's first id
};

/// What index.yaml says.
struct ShardIndex {
  std::string corpus;
  std::string tokenizer;      ///< a registered tokenizer name; its model is tokenizer.<name>
  int64_t vocab_size = 0;
  int bytes_per_token = 2;    ///< 2 (uint16) or 4 (int32)
  std::string key;            ///< hash of the corpus text and the tokenizer settings
  ShardedSplit train, val;
};

/// Encodes `text` (documents starting at the byte offsets `document_starts`), read from disk in
/// chunks that end after a newline or before a document, `threads` chunks at a time, and writes
/// the ids as <folder>/<split>-NNNNN.bin. The ids are exactly `tokenizer.encode(text)`: both
/// tokenizers encode line by line (char: code point by code point). Memory: a few chunks' text
/// and ids, whatever the text's size. A line longer than `max_line` is cut at a code point
/// boundary for a tokenizer that splits anywhere (char), else a UserError naming the byte.
ShardedSplit write_split(const Tokenizer& tokenizer, const TextSource& text, const std::vector<uint64_t>& document_starts,
                         const std::filesystem::path& folder, const std::string& split, int bytes_per_token,
                         int threads, int64_t shard_tokens = int64_t{1} << 28, size_t chunk_bytes = size_t{4} << 20,
                         size_t max_line = size_t{64} << 20);

void write_shard_index(const std::filesystem::path& folder, const ShardIndex& index);
/// UserError naming the file and the problem when index.yaml is missing or malformed.
ShardIndex read_shard_index(const std::filesystem::path& folder);

/// A split's ids, mapped from the folder.
TokenStream map_split(const std::filesystem::path& folder, const std::string& split, const ShardedSplit& info,
                      int bytes_per_token);

/// 2 when every id of a vocabulary of `vocab_size` fits in uint16, else 4.
int bytes_per_token_for(int64_t vocab_size);

}  // namespace attnlab::data
