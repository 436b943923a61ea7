#pragma once
/// Reading the policies' own `cache:` keys, shared by every policy factory.

#include <cstdint>
#include <string>

namespace attnlab {

namespace cfg {
class MapReader;
}

/// The integer `key` (or `fallback` when absent); a located UserError
/// ("...: cache.window: must be >= 1, got 0") when it is below `minimum`.
int64_t read_count(cfg::MapReader& options, const std::string& key, int64_t fallback, int64_t minimum);

}  // namespace attnlab
