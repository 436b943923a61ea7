#pragma once
/// Text that stays on disk: a list of pieces (a byte range of a file, or bytes in memory) read in
/// bounded blocks. A corpus split is one (its documents' file ranges joined by separators), so a
/// corpus of any size is hashed, scanned and encoded in bounded memory (docs/data.md).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace attnlab::data {

class Hasher;

/// `size` bytes of `file` from `offset`; with no file, the bytes `bytes`.
struct TextPiece {
  std::filesystem::path file;
  uint64_t offset = 0;
  uint64_t size = 0;
  std::string bytes;

  static TextPiece of_file(std::filesystem::path file, uint64_t offset, uint64_t size);
  static TextPiece of_bytes(std::string bytes);
  /// Bytes [begin, end) of this piece.
  TextPiece slice(uint64_t begin, uint64_t end) const;
};

/// The concatenation of its pieces, read on demand.
class TextSource {
 public:
  TextSource() = default;
  /// Text held in memory (tests, small texts).
  explicit TextSource(std::string bytes);

  void append(TextPiece piece);
  uint64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  /// Bytes [offset, offset + n), clipped at the end. UserError naming the file when a read fails
  /// (a file changed or vanished since it was scanned).
  std::string read(uint64_t offset, size_t n) const;
  /// The whole text: for callers that checked its size.
  std::string read_all() const { return read(0, static_cast<size_t>(size_)); }
  /// fn(block) over consecutive blocks of at most `block_bytes` + 3 bytes that together are the
  /// text; in valid UTF-8 each block ends on a code point boundary.
  void for_each_block(size_t block_bytes, const std::function<void(const std::string&)>& fn) const;
  /// Largest offset <= `offset` that starts a code point (or is the end).
  uint64_t boundary_at_or_before(uint64_t offset) const;

 private:
  std::vector<TextPiece> pieces_;
  std::vector<uint64_t> starts_;  ///< offset of each piece in the text
  uint64_t size_ = 0;
};

/// hasher.add(text) as if `text` were one std::string (length, then bytes), read block by block.
void hash_text(Hasher& hasher, const TextSource& text);
/// Code points of valid UTF-8 `text`, counted block by block.
int64_t count_code_points(const TextSource& text);

}  // namespace attnlab::data
