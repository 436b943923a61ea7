#pragma once
/// The `attnlab` command line as a library entry: a project with its own mixers or eviction
/// policies builds its own `attnlab` executable around it (examples/external_variant/):
///
///   int main(int argc, char** argv) {
///     attnlab::register_builtin_variants();                     // variants/registry.h
///     attnlab::mixer_registry().add("my_mixer", "what it does", MyMixerImpl::create);
///     return attnlab::main(argc, argv);
///   }
///
/// Every subcommand (run, train, eval, report, list, ...) then knows the new entries, and
/// `mixer=my_mixer` selects configs/mixer/my_mixer.yaml like a built-in.

namespace attnlab {

/// Runs the attnlab command line; returns the process exit code (0 ok, 1 failure, 2 bad input).
/// Registers the built-in variants itself (idempotent); register your own before calling it.
int main(int argc, char** argv);

}  // namespace attnlab
