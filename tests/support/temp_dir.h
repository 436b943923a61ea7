#pragma once
/// A fresh directory under the system temp dir, removed with its contents on destruction.
/// Shared by every test binary.

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>

namespace attnlab::testing {

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("attnlab-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }
  /// Full path of `relative` inside the directory.
  std::string file(const std::string& relative) const { return (path_ / relative).string(); }
  std::string operator/(const std::string& relative) const { return file(relative); }

  /// Writes `bytes` to `relative` (parent folders created) and returns the full path.
  std::string write(const std::string& relative, const std::string& bytes) const {
    const auto target = path_ / relative;
    std::filesystem::create_directories(target.parent_path());
    std::ofstream(target, std::ios::binary) << bytes;
    return target.string();
  }

 private:
  std::filesystem::path path_;
};

}  // namespace attnlab::testing
