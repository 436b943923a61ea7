#pragma once
// Helpers for the config tests: temporary config trees, error-message matching.

#include <string>

#include "core/error.h"
#include "support/temp_dir.h"

namespace attnlab::cfg::testing {

using attnlab::testing::TempDir;

/// The UserError message thrown by `f`, or "<no error>".
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const UserError& e) {
    return e.what();
  }
  return "<no error>";
}

}  // namespace attnlab::cfg::testing
