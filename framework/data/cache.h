#pragma once
/// On-disk cache helpers shared by the tokenizers and the token streams:
/// content hashes for cache keys and whole-file reads (atomic writes: core/atomic_file.h).

#include <cstdint>
#include <filesystem>
#include <string>

namespace attnlab::data {

/// Incremental 64-bit FNV-1a hash; fields are length-prefixed so ("ab","c") != ("a","bc").
class Hasher {
 public:
  Hasher& add(const std::string& bytes);
  Hasher& add(int64_t value);
  Hasher& add(double value);
  Hasher& add_raw(const void* data, size_t size);
  uint64_t value() const { return state_; }
  /// 16 lowercase hex digits: the cache key in file names.
  std::string hex() const;

 private:
  uint64_t state_ = 0xcbf29ce484222325ULL;
};

/// The whole file as bytes; UserError "<what>: cannot read <path>" when it cannot be opened.
std::string read_file(const std::filesystem::path& path, const std::string& what = "file");

}  // namespace attnlab::data
