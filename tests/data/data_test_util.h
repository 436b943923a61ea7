#pragma once
/// Helpers for the data tests: a self-deleting temporary folder and small text files.

#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include "core/error.h"

namespace attnlab::data::test {

/// A fresh folder under the system temp dir, removed with its contents on destruction.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("attnlab-data-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
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

  /// Writes `bytes` to `name` (relative to the folder, parents created); returns its path.
  std::string write(const std::string& name, const std::string& bytes) const {
    const auto file = path_ / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << bytes;
    return file.string();
  }

 private:
  std::filesystem::path path_;
};

/// The message of the UserError thrown by `fn`; fails the test when none is thrown.
template <typename Fn>
std::string user_error_of(Fn&& fn) {
  try {
    fn();
  } catch (const UserError& e) {
    return e.what();
  }
  FAIL("expected a UserError");
  return {};
}

/// A few KB of varied English-like text with punctuation, digits and some non-ASCII characters.
inline std::string sample_text(int paragraphs = 40) {
  static const char* sentences[] = {
      "Call me Ishmael. Some years ago, never mind how long precisely, I went to sea.",
      "The whale, a naïve giant of 1851, swam — slowly — past the Pequod's bow.",
      "Queequeg sharpened his harpoon; Starbuck counted 42 barrels of oil.",
      "\"There she blows!\" cried the lookout from the mast-head at 7 o'clock.",
      "Ahab paced the deck ✓ with his ivory leg, thinking of the white whale.",
      "In the beginning God created the heaven and the earth, and it was good.",
      "Mr. President, Madam Speaker: the state of our Union is strong in 2024.",
      "Café, résumé, façade and jalapeño are words with accents.",
  };
  std::string text;
  for (int p = 0; p < paragraphs; ++p) {
    for (int s = 0; s < 4; ++s) {
      text += sentences[(p * 3 + s * 5) % 8];
      text += ' ';
    }
    text += "Paragraph " + std::to_string(p) + ".\n";
    if (p % 3 == 2) text += '\n';
  }
  return text;
}

}  // namespace attnlab::data::test
