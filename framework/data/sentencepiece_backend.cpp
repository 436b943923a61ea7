#include "data/sentencepiece_backend.h"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <stdexcept>

#include "core/error.h"

namespace attnlab::data {

namespace {

constexpr const char* kModuleName = "libattnlab_spm.so";

#if defined(__SANITIZE_ADDRESS__)
// AddressSanitizer's dlopen interceptor aborts on RTLD_DEEPBIND (google/sanitizers#611: a deep-bound
// library could reach libc's malloc instead of ASan's). Here it is safe: in an ASan build the module
// is instrumented too, so libasan comes first in its DT_NEEDED list and wins the deep-bound lookup of
// malloc/new. Without DEEPBIND the two protobuf copies clash (see sentencepiece_backend.h), so open
// it with libc's own dlopen, past the interceptor (docs/sanitizers.md).
void* open_module(const char* path, int flags) {
  using Dlopen = void* (*)(const char*, int);
  static const auto real = [] {
    void* libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    return libc ? reinterpret_cast<Dlopen>(dlsym(libc, "dlopen")) : nullptr;
  }();
  return real ? real(path, flags) : dlopen(path, flags);
}
#else
void* open_module(const char* path, int flags) { return dlopen(path, flags); }
#endif

std::vector<std::string> candidate_paths() {
  std::vector<std::string> paths;
  if (const char* env = std::getenv("ATTNLAB_SPM_MODULE"); env && *env) paths.emplace_back(env);
#ifdef ATTNLAB_SPM_MODULE
  paths.emplace_back(ATTNLAB_SPM_MODULE);  // the build tree's
#endif
#ifdef ATTNLAB_SPM_INSTALLED_MODULE
  paths.emplace_back(ATTNLAB_SPM_INSTALLED_MODULE);  // `cmake --install`'s, for executables built elsewhere
#endif
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto dir = exe.parent_path();
    for (const auto& sub : {dir, dir / "../lib", dir / "../lib/attnlab"}) paths.push_back((sub / kModuleName).string());
  }
  paths.emplace_back(kModuleName);
  return paths;
}

const SentencePieceBackend* load_backend() {
  std::vector<std::string> tried;
  for (const auto& path : candidate_paths()) {
    const bool bare = path.find('/') == std::string::npos;
    if (!bare && !std::filesystem::exists(path)) {
      tried.push_back(path + " (missing)");
      continue;
    }
    void* handle = open_module(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    if (!handle) {
      tried.push_back(path + " (" + dlerror() + ")");
      continue;
    }
    using Entry = SentencePieceBackend* (*)();
    auto entry = reinterpret_cast<Entry>(dlsym(handle, kSentencePieceEntryPoint));
    if (!entry) {
      tried.push_back(path + " (no " + kSentencePieceEntryPoint + ")");
      continue;
    }
    return entry();  // the module stays loaded for the life of the process
  }
  throw std::runtime_error("cannot load the SentencePiece module " + std::string(kModuleName) +
                           " (needed by tokenizer=bpe); tried: " + join(tried, "; ") +
                           ". Build the attnlab_spm target or set ATTNLAB_SPM_MODULE");
}

}  // namespace

const SentencePieceBackend& sentencepiece_backend() {
  static std::once_flag once;
  static const SentencePieceBackend* backend = nullptr;
  std::call_once(once, [] { backend = load_backend(); });
  return *backend;
}

}  // namespace attnlab::data
