#pragma once
/// Errors and helpers shared by every layer of attnlab. Torch-free.

#include <stdexcept>
#include <string>
#include <vector>

namespace attnlab {

/// Bad input from the user: a config, an override, a corpus, a checkpoint, an HDF5 file.
/// The message is one line that names what is wrong and where (file:line, key path).
/// The CLI prints `error: <what()>` and exits with code 2 (kUserErrorExitCode).
class UserError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Exit code of the `attnlab` executable for a UserError.
inline constexpr int kUserErrorExitCode = 2;

/// Levenshtein distance between two strings (bytes).
size_t edit_distance(const std::string& a, const std::string& b);

/// The candidate closest to `name` by edit distance, or "" when none is within
/// max(2, name.size() / 3) edits.
std::string closest_match(const std::string& name, const std::vector<std::string>& candidates);

/// " (did you mean 'x'?)" when a close candidate exists, else "". For appending to error messages.
std::string did_you_mean(const std::string& name, const std::vector<std::string>& candidates);

/// "a, b, c": the candidates joined for "expected one of ..." messages.
std::string join(const std::vector<std::string>& items, const std::string& separator = ", ");

}  // namespace attnlab
