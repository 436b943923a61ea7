#pragma once
/// On-disk cache helpers shared by the tokenizers and the token streams:
/// content hashes for cache keys, whole-file reads and atomic writes.

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

/// Writes `bytes` to `<path>.tmp.<pid>` and renames it over `path` (parent folders created),
/// so readers never see a half-written file. Throws std::runtime_error on I/O failure.
void write_file_atomic(const std::filesystem::path& path, const std::string& bytes);

}  // namespace attnlab::data
