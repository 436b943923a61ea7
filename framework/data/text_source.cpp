#include "data/text_source.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/error.h"
#include "data/cache.h"
#include "data/utf8.h"

namespace attnlab::data {

TextPiece TextPiece::of_file(std::filesystem::path file, uint64_t offset, uint64_t size) {
  TextPiece piece;
  piece.file = std::move(file);
  piece.offset = offset;
  piece.size = size;
  return piece;
}

TextPiece TextPiece::of_bytes(std::string bytes) {
  TextPiece piece;
  piece.size = bytes.size();
  piece.bytes = std::move(bytes);
  return piece;
}

TextPiece TextPiece::slice(uint64_t begin, uint64_t end) const {
  end = std::min(end, size);
  begin = std::min(begin, end);
  if (file.empty()) return of_bytes(bytes.substr(begin, end - begin));
  return of_file(file, offset + begin, end - begin);
}

TextSource::TextSource(std::string bytes) { append(TextPiece::of_bytes(std::move(bytes))); }

void TextSource::append(TextPiece piece) {
  if (piece.size == 0) return;
  starts_.push_back(size_);
  size_ += piece.size;
  pieces_.push_back(std::move(piece));
}

namespace {

/// Appends `n` bytes of `file` from `offset` to `out`.
void read_range(const std::filesystem::path& file, uint64_t offset, size_t n, std::string& out) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw UserError(fmt::format("corpus: cannot read {}: {}", file.string(), std::strerror(errno)));
  const size_t base = out.size();
  out.resize(base + n);
  size_t done = 0;
  while (done < n) {
    const ssize_t got = ::pread(fd, out.data() + base + done, n - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      ::close(fd);
      throw UserError(fmt::format("corpus: {} ended at byte {} while reading it (did it change since it was scanned?)", file.string(),
                                  offset + done));
    }
    done += static_cast<size_t>(got);
  }
  ::close(fd);
}

}  // namespace

std::string TextSource::read(uint64_t offset, size_t n) const {
  std::string out;
  if (offset >= size_) return out;
  n = static_cast<size_t>(std::min<uint64_t>(n, size_ - offset));
  out.reserve(n);
  size_t i = static_cast<size_t>(std::upper_bound(starts_.begin(), starts_.end(), offset) - starts_.begin()) - 1;
  while (n > 0) {
    const TextPiece& piece = pieces_[i];
    const uint64_t within = offset - starts_[i];
    const size_t take = static_cast<size_t>(std::min<uint64_t>(n, piece.size - within));
    if (piece.file.empty()) {
      out.append(piece.bytes, static_cast<size_t>(within), take);
    } else {
      read_range(piece.file, piece.offset + within, take, out);
    }
    offset += take;
    n -= take;
    ++i;
  }
  return out;
}

void TextSource::for_each_block(size_t block_bytes, const std::function<void(const std::string&)>& fn) const {
  block_bytes = std::max<size_t>(block_bytes, 4);
  for (uint64_t pos = 0; pos < size_;) {
    // three bytes more, so the cut can see where the next code point starts
    std::string block = read(pos, block_bytes + 3);
    if (block.size() > block_bytes) {  // not the text's last block
      size_t cut = utf8_boundary_at_or_before(block, block_bytes);
      if (cut == 0) cut = block_bytes;  // not UTF-8: any cut
      block.resize(cut);
    }
    fn(block);
    pos += block.size();
  }
}

uint64_t TextSource::boundary_at_or_before(uint64_t offset) const {
  if (offset >= size_) return size_;
  const uint64_t from = offset >= 3 ? offset - 3 : 0;
  const std::string near = read(from, static_cast<size_t>(offset - from) + 1);
  return from + utf8_boundary_at_or_before(near, static_cast<size_t>(offset - from));
}

void hash_text(Hasher& hasher, const TextSource& text) {
  hasher.add(static_cast<int64_t>(text.size()));
  text.for_each_block(size_t{4} << 20, [&](const std::string& block) { hasher.add_raw(block.data(), block.size()); });
}

int64_t count_code_points(const TextSource& text) {
  int64_t count = 0;
  text.for_each_block(size_t{4} << 20, [&](const std::string& block) { count += count_code_points(block); });
  return count;
}

}  // namespace attnlab::data
