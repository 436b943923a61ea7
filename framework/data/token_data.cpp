#include "data/token_data.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <optional>

#include "core/atomic_file.h"
#include "core/error.h"
#include "data/cache.h"
#include "data/utf8.h"

namespace attnlab::data {

namespace fs = std::filesystem;

namespace {

constexpr char kMagic[8] = {'A', 'T', 'N', 'T', 'O', 'K', '0', '1'};
const std::string kSeparator = "\n\n";

std::string file_name_safe(std::string name) {
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') c = '_';
  }
  return name;
}

/// Cache layout: magic[8], key u64, train_chars i64, val_chars i64, n_train u64, n_val u64,
/// train ids i32[n_train], val ids i32[n_val], FNV-1a u64 of everything before it.
struct CachedTokens {
  std::vector<int32_t> train, val;
  int64_t train_chars = 0, val_chars = 0;
};

template <typename T>
void put(std::string& out, const T& value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

std::string serialize(uint64_t key, const CachedTokens& t) {
  std::string out(kMagic, sizeof kMagic);
  put(out, key);
  put(out, t.train_chars);
  put(out, t.val_chars);
  put(out, static_cast<uint64_t>(t.train.size()));
  put(out, static_cast<uint64_t>(t.val.size()));
  out.append(reinterpret_cast<const char*>(t.train.data()), t.train.size() * sizeof(int32_t));
  out.append(reinterpret_cast<const char*>(t.val.data()), t.val.size() * sizeof(int32_t));
  put(out, Hasher().add_raw(out.data(), out.size()).value());
  return out;
}

std::optional<CachedTokens> deserialize(const std::string& bytes, uint64_t key, int64_t vocab_size) {
  constexpr size_t kHeader = sizeof kMagic + 5 * sizeof(uint64_t);
  if (bytes.size() < kHeader + sizeof(uint64_t) || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    return std::nullopt;
  }
  size_t pos = sizeof kMagic;
  auto get = [&](auto& value) {
    std::memcpy(&value, bytes.data() + pos, sizeof value);
    pos += sizeof value;
  };
  uint64_t stored_key = 0, n_train = 0, n_val = 0, checksum = 0;
  CachedTokens t;
  get(stored_key);
  get(t.train_chars);
  get(t.val_chars);
  get(n_train);
  get(n_val);
  if (stored_key != key || n_train > bytes.size() || n_val > bytes.size() ||
      bytes.size() != kHeader + (n_train + n_val) * sizeof(int32_t) + sizeof(uint64_t)) {
    return std::nullopt;
  }
  std::memcpy(&checksum, bytes.data() + bytes.size() - sizeof checksum, sizeof checksum);
  if (Hasher().add_raw(bytes.data(), bytes.size() - sizeof checksum).value() != checksum) return std::nullopt;
  t.train.resize(n_train);
  t.val.resize(n_val);
  std::memcpy(t.train.data(), bytes.data() + pos, n_train * sizeof(int32_t));
  std::memcpy(t.val.data(), bytes.data() + pos + n_train * sizeof(int32_t), n_val * sizeof(int32_t));
  auto in_range = [&](int32_t id) { return id >= 0 && id < vocab_size; };
  if (!std::all_of(t.train.begin(), t.train.end(), in_range) ||
      !std::all_of(t.val.begin(), t.val.end(), in_range)) {
    return std::nullopt;
  }
  return t;
}

}  // namespace

TextSplit split_text(const std::vector<std::string>& documents, double train_fraction) {
  TextSplit split;
  if (documents.size() >= 2) {
    size_t total = 0;
    for (const auto& d : documents) total += d.size();
    const double target = train_fraction * static_cast<double>(total);
    size_t best = 1, prefix = 0;
    double best_gap = INFINITY;
    for (size_t k = 1; k < documents.size(); ++k) {
      prefix += documents[k - 1].size();
      const double gap = std::abs(static_cast<double>(prefix) - target);
      if (gap < best_gap) best_gap = gap, best = k;
    }
    for (size_t i = 0; i < documents.size(); ++i) {
      std::string& part = i < best ? split.train : split.val;
      if (!part.empty()) part += kSeparator;
      part += documents[i];
    }
    split.train_documents = static_cast<int64_t>(best);
    split.val_documents = static_cast<int64_t>(documents.size() - best);
    return split;
  }
  const std::string text = documents.empty() ? std::string() : documents.front();
  const auto cut = utf8_boundary_at_or_before(
      text, static_cast<size_t>(std::llround(train_fraction * static_cast<double>(text.size()))));
  split.train = text.substr(0, cut);
  split.val = text.substr(cut);
  split.train_documents = split.val_documents = documents.empty() ? 0 : 1;
  return split;
}

std::string cache_dir(const DataOptions& options) { return (fs::path(options.root) / "cache").string(); }

TokenData TokenData::prepare(const DataOptions& options) {
  const Corpus corpus = load_corpus(options);
  const TextSplit split = split_text(corpus.documents, options.train_fraction);
  const fs::path dir = cache_dir(options);

  TokenData data;
  data.corpus_name = corpus.name;
  data.tokenizer = make_tokenizer(options, split.train, dir);

  Hasher key;
  key.add(std::string("tokens-v1")).add(data.tokenizer->name()).add(data.tokenizer->vocab_size());
  key.add(options.tokenizer == "bpe" ? options.vocab_size : int64_t{0}).add(options.train_fraction);
  key.add(split.train).add(split.val);
  const fs::path path = dir / ("tokens-" + file_name_safe(corpus.name) + "-" + key.hex() + ".bin");
  data.cache_path = path.string();

  if (fs::exists(path)) {
    if (auto cached = deserialize(read_file(path, "token cache"), key.value(), data.tokenizer->vocab_size())) {
      data.train = std::move(cached->train);
      data.val = std::move(cached->val);
      data.train_chars = cached->train_chars;
      data.val_chars = cached->val_chars;
      data.from_cache = true;
      return data;
    }
  }
  CachedTokens tokens;
  tokens.train = data.tokenizer->encode(split.train);
  tokens.val = data.tokenizer->encode(split.val);
  tokens.train_chars = count_code_points(split.train);
  tokens.val_chars = count_code_points(split.val);
  write_file_atomic(path, serialize(key.value(), tokens));
  data.train = std::move(tokens.train);
  data.val = std::move(tokens.val);
  data.train_chars = tokens.train_chars;
  data.val_chars = tokens.val_chars;
  return data;
}

}  // namespace attnlab::data
