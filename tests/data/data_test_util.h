#pragma once
/// Helpers for the data tests: a self-deleting temporary folder and small text files.

#include "support/catch.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.h"
#include "support/temp_dir.h"

namespace attnlab::data::test {

using attnlab::testing::TempDir;

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
