#pragma once
/// Strict UTF-8: validation with the offset of the first bad byte, and code point (de)coding.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace attnlab::data {

/// Where and why a byte string is not valid UTF-8 text.
struct Utf8Problem {
  size_t offset = 0;   ///< byte offset of the start of the bad sequence (or of the NUL byte)
  size_t line = 1;     ///< 1-based line of that byte
  uint8_t byte = 0;    ///< the byte at `offset`
  bool nul = false;    ///< a NUL byte: the file is binary rather than text
  /// "invalid UTF-8 byte 0xff at byte offset 12" or "NUL byte at byte offset 12 (a binary file?)".
  std::string message() const;
};

/// The first problem in `text`, or nullopt when it is valid UTF-8 without NUL bytes.
/// Rejects truncated sequences, stray continuation bytes, overlong encodings, surrogates
/// (U+D800..U+DFFF) and code points above U+10FFFF.
std::optional<Utf8Problem> find_utf8_problem(const std::string& text);

/// Throws UserError "<where>:<line>: <problem>" when `text` is not valid UTF-8.
void check_utf8(const std::string& text, const std::string& where);

/// Code points of valid UTF-8 `text` (validate first: invalid input gives unspecified values).
std::vector<char32_t> decode_utf8(const std::string& text);

/// Appends the UTF-8 encoding of `cp` to `out`.
void append_utf8(char32_t cp, std::string& out);

/// Number of code points in valid UTF-8 `text` (bytes that are not continuation bytes).
int64_t count_code_points(const std::string& text);

/// Largest offset <= `offset` that starts a code point (so text.substr(0, it) stays valid).
size_t utf8_boundary_at_or_before(const std::string& text, size_t offset);

}  // namespace attnlab::data
