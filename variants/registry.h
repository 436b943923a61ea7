#pragma once
/// Explicit registration of every built-in variant (no static self-registration: the linker would drop it).

namespace attnlab {

/// Fills the mixer (and later eviction-policy) registries with the built-ins. Idempotent and
/// thread-safe (std::call_once); call it before building a model.
void register_builtin_variants();

}  // namespace attnlab
