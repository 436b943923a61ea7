#include "data/token_data.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <optional>

#include <fmt/format.h>
#include <unistd.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "data/cache.h"
#include "data/token_shards.h"
#include "data/utf8.h"

namespace attnlab::data {

namespace fs = std::filesystem;

namespace {

const std::string kSeparator = "\n\n";

std::string file_name_safe(std::string name) {
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') c = '_';
  }
  return name;
}

}  // namespace

TextSplit split_text(const std::vector<TextPiece>& documents, double train_fraction) {
  TextSplit split;
  if (documents.size() >= 2) {
    uint64_t total = 0;
    for (const auto& d : documents) total += d.size;
    const double target = train_fraction * static_cast<double>(total);
    size_t best = 1;
    uint64_t prefix = 0;
    double best_gap = INFINITY;
    for (size_t k = 1; k < documents.size(); ++k) {
      prefix += documents[k - 1].size;
      const double gap = std::abs(static_cast<double>(prefix) - target);
      if (gap < best_gap) best_gap = gap, best = k;
    }
    for (size_t i = 0; i < documents.size(); ++i) {
      TextSource& part = i < best ? split.train : split.val;
      if (!part.empty()) part.append(TextPiece::of_bytes(kSeparator));
      (i < best ? split.train_starts : split.val_starts).push_back(part.size());
      part.append(documents[i]);
    }
    split.train_documents = static_cast<int64_t>(best);
    split.val_documents = static_cast<int64_t>(documents.size() - best);
    return split;
  }
  split.train_starts = split.val_starts = {0};
  if (documents.empty()) return split;
  const TextPiece& text = documents.front();
  TextSource whole;
  whole.append(text);
  const uint64_t cut = whole.boundary_at_or_before(static_cast<uint64_t>(std::llround(train_fraction * static_cast<double>(text.size))));
  split.train.append(text.slice(0, cut));
  split.val.append(text.slice(cut, text.size));
  split.train_documents = split.val_documents = 1;
  return split;
}

namespace {

/// The tokenizer and mapped splits of a prepared folder whose index.yaml says `index`.
TokenData map_prepared(const fs::path& folder, const ShardIndex& index) {
  TokenData data;
  data.tokenizer = load_tokenizer(index.tokenizer, folder / ("tokenizer." + index.tokenizer));
  if (data.tokenizer->vocab_size() != index.vocab_size)
    throw UserError(fmt::format("{}: the tokenizer has {} ids, index.yaml says {}", folder.string(), data.tokenizer->vocab_size(),
                                index.vocab_size));
  data.train = map_split(folder, "train", index.train, index.bytes_per_token);
  data.val = map_split(folder, "val", index.val, index.bytes_per_token);
  data.train_chars = index.train.chars;
  data.val_chars = index.val.chars;
  data.corpus_name = index.corpus;
  data.cache_path = folder.string();
  return data;
}

/// Each id covers at least one byte of text, so shards of 2-byte ids take at most twice the text:
/// refuse a corpus that could fill the disk before reading it, not halfway through encoding it.
/// Skipped when the cache holds a folder of this corpus's name (it may be this text's: no writing).
void check_cache_space(const CorpusFiles& corpus, const fs::path& dir) {
  std::error_code ignored;
  for (fs::directory_iterator it(dir, ignored), end; !ignored && it != end; it.increment(ignored))
    if (it->path().filename().string().rfind("tokens-" + file_name_safe(corpus.name) + "-", 0) == 0) return;
  uint64_t bytes = 0;
  for (const auto& file : corpus.documents) bytes += file.size;
  fs::path existing = fs::absolute(dir);
  while (!fs::exists(existing) && existing.has_parent_path() && existing != existing.parent_path()) existing = existing.parent_path();
  std::error_code error;
  const auto space = fs::space(existing, error);
  if (!error && 2 * bytes > space.available)
    throw UserError(fmt::format("data: corpus '{}' holds {:.2f} GiB of text; its token shards may need {:.2f} GiB in {}, which has {:.2f} GiB free",
                                corpus.name, bytes / double(1 << 30), 2 * bytes / double(1 << 30), dir.string(),
                                space.available / double(1 << 30)));
}

}  // namespace

std::string cache_dir(const DataOptions& options) { return (fs::path(options.root) / "cache").string(); }

TokenData TokenData::prepare(const DataOptions& options, int threads) {
  if (!options.prepared.empty()) return load_prepared(options.prepared);
  const CorpusFiles located = locate_corpus(options);
  check_cache_space(located, cache_dir(options));
  const CorpusFiles corpus = scan_corpus(located);
  const TextSplit split = split_text(corpus.documents, options.train_fraction);
  const fs::path dir = cache_dir(options);
  const std::shared_ptr<Tokenizer> tokenizer = make_tokenizer(options, split.train, dir);

  Hasher key;
  key.add(std::string("tokens-v1")).add(tokenizer->name()).add(tokenizer->vocab_size());
  key.add(options.tokenizer == "bpe" ? options.vocab_size : int64_t{0}).add(options.train_fraction);
  hash_text(key, split.train);
  hash_text(key, split.val);
  const fs::path folder = dir / ("tokens-" + file_name_safe(corpus.name) + "-" + key.hex());
  if (fs::exists(folder / "index.yaml")) {
    try {
      const ShardIndex cached = read_shard_index(folder);
      if (cached.key == key.hex()) {
        TokenData data = map_prepared(folder, cached);
        data.from_cache = true;
        return data;
      }
    } catch (const UserError&) {
      // damaged: rebuilt below
    }
    std::error_code ignored;
    fs::remove_all(folder, ignored);
  }
  // Written under a temporary name, renamed when complete: a reader never sees half a folder,
  // and of two processes preparing the same corpus at once the first rename wins.
  const fs::path part = folder.string() + fmt::format(".part-{}", getpid());
  std::error_code ignored;
  fs::remove_all(part, ignored);
  fs::create_directories(part);
  ShardIndex index;
  index.corpus = corpus.name;
  index.tokenizer = tokenizer->name();
  index.vocab_size = tokenizer->vocab_size();
  index.bytes_per_token = bytes_per_token_for(index.vocab_size);
  index.key = key.hex();
  tokenizer->save(part / ("tokenizer." + tokenizer->name()));
  index.train = write_split(*tokenizer, split.train, split.train_starts, part, "train", index.bytes_per_token, threads);
  index.val = write_split(*tokenizer, split.val, split.val_starts, part, "val", index.bytes_per_token, threads);
  index.train.chars = count_code_points(split.train);
  index.val.chars = count_code_points(split.val);
  write_shard_index(part, index);
  fs::rename(part, folder, ignored);
  if (ignored) fs::remove_all(part, ignored);  // another process renamed its copy first: use that one
  return load_prepared(folder.string());
}

TokenData TokenData::load_prepared(const std::string& folder) { return map_prepared(folder, read_shard_index(folder)); }

}  // namespace attnlab::data
