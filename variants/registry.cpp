#include "registry.h"

#include <mutex>

namespace attnlab {

void register_builtin_variants() {
  static std::once_flag once;
  std::call_once(once, [] {
    register_builtin_qk_sources();
    register_builtin_mixers();
    register_builtin_eviction_policies();
    register_builtin_tasks();
    register_builtin_analyses();
  });
}

}  // namespace attnlab
