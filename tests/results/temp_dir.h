#pragma once
#include "support/temp_dir.h"

namespace attnlab::test {
using attnlab::testing::TempDir;
}  // namespace attnlab::test
