#pragma once
/// Explicit registration of every built-in variant (no static self-registration: the linker would drop it).

namespace attnlab {

/// Fills the Q/K source, mixer, eviction-policy, task and analysis registries with the built-ins. Idempotent and
/// thread-safe (std::call_once); call it before building a model.
void register_builtin_variants();

/// The built-in Q/K sources (variants/qk_sources/register_qk_sources.cpp). Called once by
/// register_builtin_variants(), before the mixers (whose descriptions list them).
void register_builtin_qk_sources();

/// The built-in mixers (variants/mixers/register_mixers.cpp). Called once by register_builtin_variants().
void register_builtin_mixers();

/// The built-in eviction policies (variants/eviction/register_policies.cpp). Called once by
/// register_builtin_variants().
void register_builtin_eviction_policies();

/// The built-in `attnlab analyze` analyses (variants/register_analyses.cpp). Called once by
/// register_builtin_variants().
void register_builtin_analyses();

/// The built-in probe tasks (variants/tasks/register_tasks.cpp). Called once by register_builtin_variants().
void register_builtin_tasks();

}  // namespace attnlab
