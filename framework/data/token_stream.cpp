#include "data/token_stream.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "core/error.h"

namespace attnlab::data {

namespace fs = std::filesystem;

/// The mapped files; unmapped when the last stream sharing them goes.
struct TokenStream::Mappings {
  std::vector<std::pair<void*, size_t>> regions;
  ~Mappings() {
    for (auto& [address, length] : regions) munmap(address, length);
  }
};

TokenStream::TokenStream(std::vector<int32_t> ids)
    : owned_(std::make_shared<const std::vector<int32_t>>(std::move(ids))), bytes_(4) {
  size_ = static_cast<int64_t>(owned_->size());
  if (size_ > 0) pieces_.push_back({reinterpret_cast<const unsigned char*>(owned_->data()), 0, size_});
}

TokenStream TokenStream::map(const std::vector<fs::path>& files, const std::vector<int64_t>& tokens,
                             int bytes_per_token) {
  if (bytes_per_token != 2 && bytes_per_token != 4) throw std::invalid_argument("token shards hold 2- or 4-byte ids");
  if (files.size() != tokens.size()) throw std::invalid_argument("one token count per shard file");
  TokenStream stream;
  stream.bytes_ = bytes_per_token;
  stream.mappings_ = std::make_shared<Mappings>();
  for (size_t i = 0; i < files.size(); ++i) {
    const size_t length = static_cast<size_t>(tokens[i]) * static_cast<size_t>(bytes_per_token);
    const int fd = open(files[i].c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw UserError(fmt::format("token shard {}: cannot open ({})", files[i].string(), std::strerror(errno)));
    struct stat info {};
    const bool sized = fstat(fd, &info) == 0 && static_cast<size_t>(info.st_size) == length;
    if (!sized) {
      close(fd);
      throw UserError(fmt::format("token shard {}: {} bytes, its index says {} ids of {} bytes (a damaged or "
                                  "unfinished shard: prepare the data again)",
                                  files[i].string(), info.st_size, tokens[i], bytes_per_token));
    }
    if (length == 0) {
      close(fd);
      continue;
    }
    void* address = mmap(nullptr, length, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (address == MAP_FAILED) throw UserError(fmt::format("token shard {}: cannot map ({})", files[i].string(), std::strerror(errno)));
    madvise(address, length, MADV_RANDOM);  // training reads random windows
    stream.mappings_->regions.emplace_back(address, length);
    stream.pieces_.push_back({static_cast<const unsigned char*>(address), stream.size_, tokens[i]});
    stream.size_ += tokens[i];
  }
  return stream;
}

void TokenStream::read(int64_t start, int64_t n, int64_t* out) const {
  if (start < 0 || n < 0 || start + n > size_)
    throw std::out_of_range(fmt::format("tokens [{}, {}) of a stream of {}", start, start + n, size_));
  // the piece holding `start`: the last whose first id is at or before it
  auto piece = std::upper_bound(pieces_.begin(), pieces_.end(), start,
                                [](int64_t s, const Piece& p) { return s < p.first; }) - 1;
  while (n > 0) {
    const int64_t offset = start - piece->first, count = std::min(n, piece->tokens - offset);
    if (bytes_ == 2) {
      const auto* ids = reinterpret_cast<const uint16_t*>(piece->data) + offset;
      std::copy(ids, ids + count, out);
    } else {
      const auto* ids = reinterpret_cast<const int32_t*>(piece->data) + offset;
      std::copy(ids, ids + count, out);
    }
    out += count, start += count, n -= count;
    ++piece;
  }
}

std::vector<int32_t> TokenStream::slice(int64_t start, int64_t n) const {
  std::vector<int64_t> wide(static_cast<size_t>(n));
  read(start, n, wide.data());
  return {wide.begin(), wide.end()};
}

int32_t TokenStream::operator[](int64_t i) const {
  int64_t id = 0;
  read(i, 1, &id);
  return static_cast<int32_t>(id);
}

}  // namespace attnlab::data
