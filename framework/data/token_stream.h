#pragma once
/// A read-only sequence of token ids, in memory or memory-mapped from shard files on disk
/// (uint16 ids when the vocabulary fits, int32 otherwise: data/token_shards.h). Windows are read
/// across shard boundaries as from one array, so the data order does not depend on the sharding.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

namespace attnlab::data {

class TokenStream {
 public:
  TokenStream() = default;
  /// In memory (tests, small data).
  TokenStream(std::vector<int32_t> ids);  // NOLINT(google-explicit-constructor): a vector is a stream
  /// Maps `files` in order; file i holds `tokens[i]` raw little-endian ids of `bytes_per_token`
  /// (2: uint16, 4: int32) bytes. UserError when a file is missing or its size disagrees. Pages
  /// are read on first touch: mapping costs nothing that grows with the corpus.
  static TokenStream map(const std::vector<std::filesystem::path>& files, const std::vector<int64_t>& tokens,
                         int bytes_per_token);

  int64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  /// Whether the ids live in mapped files.
  bool mapped() const { return mappings_ != nullptr; }
  /// Ids [start, start + n) into `out`.
  void read(int64_t start, int64_t n, int64_t* out) const;
  /// Ids [start, start + n).
  std::vector<int32_t> slice(int64_t start, int64_t n) const;
  int32_t operator[](int64_t i) const;

 private:
  struct Piece {
    const unsigned char* data;
    int64_t first;   ///< index of its first id in the stream
    int64_t tokens;  ///< ids in it
  };
  struct Mappings;
  std::vector<Piece> pieces_;
  std::shared_ptr<const std::vector<int32_t>> owned_;
  std::shared_ptr<Mappings> mappings_;
  int bytes_ = 4;
  int64_t size_ = 0;
};

}  // namespace attnlab::data
