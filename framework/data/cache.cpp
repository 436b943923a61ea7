#include "data/cache.h"

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>
#include <stdexcept>

#include "core/error.h"

namespace attnlab::data {

Hasher& Hasher::add_raw(const void* data, size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) {
    state_ ^= p[i];
    state_ *= 0x100000001b3ULL;
  }
  return *this;
}

Hasher& Hasher::add(const std::string& bytes) {
  add(static_cast<int64_t>(bytes.size()));
  return add_raw(bytes.data(), bytes.size());
}

Hasher& Hasher::add(int64_t value) { return add_raw(&value, sizeof value); }

Hasher& Hasher::add(double value) { return add_raw(&value, sizeof value); }

std::string Hasher::hex() const {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(state_));
  return buf;
}

std::string read_file(const std::filesystem::path& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UserError(what + ": cannot read " + path.string());
  // Into a string sized up front: a stringstream would hold a large corpus two to three times.
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  std::string out;
  if (!error) out.reserve(size);
  std::vector<char> block(1 << 20);
  while (in.read(block.data(), static_cast<std::streamsize>(block.size())) || in.gcount() > 0) {
    out.append(block.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) throw UserError(what + ": error while reading " + path.string());
  return out;
}


}  // namespace attnlab::data
