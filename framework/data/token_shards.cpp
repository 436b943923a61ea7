#include "data/token_shards.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <thread>

#include "config/map_reader.h"
#include "config/yaml_loader.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "data/cache.h"

namespace attnlab::data {

namespace fs = std::filesystem;

namespace {

constexpr const char* kFormat = "attnlab-token-shards-1";

fs::path shard_path(const fs::path& folder, const std::string& split, size_t i) {
  return folder / fmt::format("{}-{:05d}.bin", split, i);
}

/// A split's text in chunks, read one after another: each ends at a document start, or just after
/// the first newline at or past `chunk_bytes`, or at the end; so encoding them one by one and
/// concatenating gives the ids of the whole text. A line longer than `max_line` is cut at a code
/// point boundary when the tokenizer allows it, and refused when it does not.
class ChunkReader {
 public:
  ChunkReader(const TextSource& text, const std::vector<uint64_t>& document_starts, size_t chunk_bytes, size_t max_line,
              const Tokenizer& tokenizer, std::string split)
      : text_(text), starts_(document_starts), chunk_bytes_(std::max<size_t>(1, chunk_bytes)), max_line_(std::max<size_t>(4, max_line)),
        tokenizer_(tokenizer), split_(std::move(split)) {
    if (starts_.empty() || starts_.front() != 0) starts_.insert(starts_.begin(), 0);
  }

  /// The next chunk (an empty document is one empty chunk: its start is still recorded); false at the end.
  bool next(std::string& bytes, bool& first_of_document) {
    if (document_ >= starts_.size()) return false;
    const uint64_t end = document_ + 1 < starts_.size() ? starts_[document_ + 1] : text_.size();
    first_of_document = pos_ == starts_[document_];
    bytes = text_.read(pos_, static_cast<size_t>(std::min<uint64_t>(end - pos_, chunk_bytes_)));
    if (end - pos_ > chunk_bytes_) extend_to_newline(bytes, end);
    pos_ += bytes.size();
    if (pos_ >= end) ++document_;
    return true;
  }

 private:
  /// Grows `bytes` (which has chunk_bytes) to just after the first newline from its last byte on.
  void extend_to_newline(std::string& bytes, uint64_t end) {
    size_t searched = bytes.size() - 1;
    while (true) {
      const size_t newline = bytes.find('\n', searched);
      if (newline != std::string::npos) {
        bytes.resize(newline + 1);
        return;
      }
      const uint64_t next = pos_ + bytes.size();
      if (next >= end) return;
      if (bytes.size() >= chunk_bytes_ + max_line_) {
        if (!tokenizer_.splits_anywhere())
          throw UserError(fmt::format("{} text: a line longer than {} bytes at byte {}; the {} tokenizer encodes whole lines: break "
                                      "the corpus into lines, or use data.tokenizer=char", split_, max_line_, next, tokenizer_.name()));
        bytes.resize(static_cast<size_t>(text_.boundary_at_or_before(next) - pos_));
        return;
      }
      searched = bytes.size();
      const size_t room = std::min(chunk_bytes_ + max_line_ - bytes.size(), size_t{1} << 20);
      bytes += text_.read(next, static_cast<size_t>(std::min<uint64_t>(end - next, room)));
    }
  }

  const TextSource& text_;
  std::vector<uint64_t> starts_;
  size_t chunk_bytes_;
  size_t max_line_;
  const Tokenizer& tokenizer_;
  std::string split_;
  size_t document_ = 0;
  uint64_t pos_ = 0;
};

/// Appends ids to <split>-NNNNN.bin files of at most `limit` ids each.
class ShardWriter {
 public:
  ShardWriter(fs::path folder, std::string split, int bytes, int64_t limit)
      : folder_(std::move(folder)), split_(std::move(split)), bytes_(bytes), limit_(limit) {}

  void write(const std::vector<int32_t>& ids) {
    for (size_t i = 0; i < ids.size();) {
      if (!out_.is_open() || counts_.back() == limit_) open_next();
      const size_t n = std::min<size_t>(ids.size() - i, static_cast<size_t>(limit_ - counts_.back()));
      buffer_.resize(n * static_cast<size_t>(bytes_));
      if (bytes_ == 2) {
        auto* narrow = reinterpret_cast<uint16_t*>(buffer_.data());
        for (size_t j = 0; j < n; ++j) narrow[j] = static_cast<uint16_t>(ids[i + j]);
      } else {
        std::memcpy(buffer_.data(), ids.data() + i, n * sizeof(int32_t));
      }
      out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
      if (!out_) throw UserError(fmt::format("cannot write {} (disk full?)", shard_path(folder_, split_, counts_.size() - 1).string()));
      counts_.back() += static_cast<int64_t>(n);
      i += n;
    }
  }

  std::vector<int64_t> finish() {
    if (counts_.empty()) open_next();  // an empty split still has its (empty) shard
    out_.close();
    if (!out_) throw UserError("cannot write the last token shard of " + split_);
    return counts_;
  }

 private:
  void open_next() {
    if (out_.is_open()) out_.close();
    const fs::path path = shard_path(folder_, split_, counts_.size());
    out_.open(path, std::ios::binary | std::ios::trunc);
    if (!out_) throw UserError("cannot create token shard " + path.string());
    counts_.push_back(0);
  }

  fs::path folder_;
  std::string split_;
  int bytes_;
  int64_t limit_;
  std::ofstream out_;
  std::vector<int64_t> counts_;
  std::string buffer_;
};

void check_ids(const std::vector<int32_t>& ids, int bytes) {
  const int64_t limit = bytes == 2 ? 65536 : int64_t{1} << 31;
  for (int32_t id : ids) {
    if (id < 0 || id >= limit) throw std::logic_error(fmt::format("token id {} does not fit a {}-byte shard", id, bytes));
  }
}

}  // namespace

int bytes_per_token_for(int64_t vocab_size) { return vocab_size <= 65536 ? 2 : 4; }

ShardedSplit write_split(const Tokenizer& tokenizer, const TextSource& text, const std::vector<uint64_t>& document_starts,
                         const fs::path& folder, const std::string& split, int bytes_per_token, int threads,
                         int64_t shard_tokens, size_t chunk_bytes, size_t max_line) {
  ChunkReader reader(text, document_starts, chunk_bytes, max_line, tokenizer, split);
  ShardWriter writer(folder, split, bytes_per_token, shard_tokens);
  ShardedSplit out;
  const size_t workers = static_cast<size_t>(std::max(1, threads));
  const size_t round = 2 * workers;  // chunks in memory at once: bounded whatever the text's size
  std::vector<std::string> chunks(round);
  std::vector<std::vector<int32_t>> ids(round);
  std::vector<char> first_of_document(round);
  for (bool more = true; more;) {
    size_t n = 0;
    for (bool first = false; n < round && (more = reader.next(chunks[n], first)); ++n) first_of_document[n] = first;
    auto encode = [&](size_t w) {
      for (size_t i = w; i < n; i += workers) ids[i] = tokenizer.encode(chunks[i]);
    };
    if (workers == 1 || n <= 1) {
      for (size_t i = 0; i < n; ++i) ids[i] = tokenizer.encode(chunks[i]);
    } else {
      std::vector<std::exception_ptr> errors(workers);
      std::vector<std::thread> pool;
      for (size_t w = 0; w < workers; ++w) pool.emplace_back([&, w] {
          try {
            encode(w);
          } catch (...) {
            errors[w] = std::current_exception();
          }
        });
      for (auto& t : pool) t.join();
      for (auto& e : errors)
        if (e) std::rethrow_exception(e);
    }
    for (size_t i = 0; i < n; ++i) {
      if (first_of_document[i]) out.document_starts.push_back(out.tokens);
      check_ids(ids[i], bytes_per_token);
      writer.write(ids[i]);
      out.tokens += static_cast<int64_t>(ids[i].size());
    }
  }
  out.shard_tokens = writer.finish();
  // document starts as int64, for tools that cut at documents (the batcher reads across them)
  std::string bytes(reinterpret_cast<const char*>(out.document_starts.data()), out.document_starts.size() * sizeof(int64_t));
  write_file_atomic(folder / (split + "-documents.bin"), bytes);
  return out;
}

namespace {

cfg::Node integer_node(int64_t value) { return cfg::Node::scalar(std::to_string(value)); }

cfg::Node split_node(const ShardedSplit& s) {
  cfg::Node node = cfg::Node::map();
  node["tokens"] = integer_node(s.tokens);
  node["chars"] = integer_node(s.chars);
  node["documents"] = integer_node(static_cast<int64_t>(s.document_starts.size()));
  cfg::Node shards = cfg::Node::sequence();
  for (int64_t n : s.shard_tokens) shards.push_back(integer_node(n));
  node["shards"] = shards;
  return node;
}

ShardedSplit read_split(const cfg::Node& root, const std::string& name, const fs::path& folder) {
  const cfg::Node* node = root.find(name);
  if (!node || !node->is_map()) cfg::fail_at(root.source(), "token shard index: no '" + name + "' split");
  cfg::MapReader r(*node, name);
  ShardedSplit s;
  s.tokens = r.integer("tokens", -1);
  s.chars = r.integer("chars", -1);
  const int64_t documents = r.integer("documents", -1);
  s.shard_tokens = r.integer_list("shards", {});
  r.finish();
  int64_t sum = 0;
  for (int64_t n : s.shard_tokens) sum += n;
  if (s.tokens < 0 || s.chars < 0 || documents < 0 || s.shard_tokens.empty() || sum != s.tokens ||
      std::any_of(s.shard_tokens.begin(), s.shard_tokens.end(), [](int64_t n) { return n < 0; }))
    cfg::fail_at(node->source(), "token shard index: split '" + name + "' is inconsistent (tokens, chars, documents, shards)");
  const std::string documents_file = read_file(folder / (name + "-documents.bin"), "token shard documents");
  if (documents_file.size() != static_cast<size_t>(documents) * sizeof(int64_t))
    cfg::fail_at(node->source(), fmt::format("token shard index: {}-documents.bin holds {} bytes, not {} documents", name,
                                             documents_file.size(), documents));
  s.document_starts.resize(static_cast<size_t>(documents));
  std::memcpy(s.document_starts.data(), documents_file.data(), documents_file.size());
  return s;
}

}  // namespace

void write_shard_index(const fs::path& folder, const ShardIndex& index) {
  cfg::Node root = cfg::Node::map();
  root["format"] = cfg::Node::scalar(kFormat);
  root["corpus"] = cfg::Node::scalar(index.corpus, {}, true);
  root["tokenizer"] = cfg::Node::scalar(index.tokenizer);
  root["vocab_size"] = integer_node(index.vocab_size);
  root["dtype"] = cfg::Node::scalar(index.bytes_per_token == 2 ? "uint16" : "int32");
  root["key"] = cfg::Node::scalar(index.key, {}, true);
  root["train"] = split_node(index.train);
  root["val"] = split_node(index.val);
  write_file_atomic(folder / "index.yaml", "# attnlab token shards (docs/data.md); written by attnlab prepare-data\n" + root.to_yaml());
}

ShardIndex read_shard_index(const fs::path& folder) {
  const fs::path path = folder / "index.yaml";
  if (!fs::is_regular_file(path)) throw UserError(fmt::format("{}: not a prepared token folder (no index.yaml)", folder.string()));
  const cfg::Node root = cfg::load_yaml_file(path.string());
  cfg::MapReader r(root, "");
  if (r.string("format", "") != kFormat)
    cfg::fail_at(root.source(), fmt::format("{}: format is not {} (prepare the data again)", path.string(), kFormat));
  ShardIndex index;
  index.corpus = r.string("corpus", "");
  index.tokenizer = r.choice("tokenizer", "", tokenizer_names());
  index.vocab_size = r.integer("vocab_size", 0);
  index.bytes_per_token = r.choice("dtype", "uint16", {"uint16", "int32"}) == "uint16" ? 2 : 4;
  index.key = r.string("key", "");
  r.ignore("train");
  r.ignore("val");
  r.finish();
  if (index.vocab_size < 2 || bytes_per_token_for(index.vocab_size) > index.bytes_per_token)
    cfg::fail_at(root.source(), fmt::format("{}: vocab_size {} does not fit its dtype", path.string(), index.vocab_size));
  index.train = read_split(root, "train", folder);
  index.val = read_split(root, "val", folder);
  return index;
}

TokenStream map_split(const fs::path& folder, const std::string& split, const ShardedSplit& info, int bytes_per_token) {
  std::vector<fs::path> files;
  for (size_t i = 0; i < info.shard_tokens.size(); ++i) files.push_back(shard_path(folder, split, i));
  return TokenStream::map(files, info.shard_tokens, bytes_per_token);
}

}  // namespace attnlab::data
