#include "core/atomic_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "core/error.h"
#include "core/failpoint.h"

namespace attnlab {

void write_file_atomic(const std::filesystem::path& path, const std::string& bytes) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), error);
  if (error) throw UserError("cannot create folder " + path.parent_path().string() + ": " + error.message());
  fs::path tmp = path;
  tmp += ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw UserError("cannot write " + path.string() + ": " + std::strerror(errno));
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) {
      const int reason = errno;
      out.close();
      fs::remove(tmp, error);
      throw UserError("cannot write " + path.string() + ": " + std::strerror(reason));
    }
  }
  failpoint("file.write");
  fs::rename(tmp, path, error);
  if (error) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw UserError("cannot write " + path.string() + ": " + error.message());
  }
}

}  // namespace attnlab
