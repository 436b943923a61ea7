#pragma once
/// SentencePiece behind a loadable module.
///
/// Debian's libsentencepiece embeds its own copy of protobuf-lite and exports its symbols; linked
/// into a process that also loads LibTorch's libprotobuf.so, the two copies interpose on each other
/// and the process crashes at start-up. So attnlab never links SentencePiece directly: the module
/// `libattnlab_spm.so` (framework/data/sentencepiece/) links it and is opened with
/// dlopen(RTLD_LOCAL | RTLD_DEEPBIND), which keeps each protobuf copy to its own users. Only these
/// abstract classes (virtual calls, standard library types) cross the boundary.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace attnlab::data {

/// A loaded SentencePiece model. Methods report failures by throwing nothing: see each.
class SentencePieceModel {
 public:
  virtual ~SentencePieceModel() = default;
  /// Ids of `text`; returns false and sets `error` on failure.
  virtual bool encode(std::string_view text, std::vector<int>& ids, std::string& error) const = 0;
  /// Text of `ids` (all in [0, size())); returns false and sets `error` on failure.
  virtual bool decode(const std::vector<int>& ids, std::string& text, std::string& error) const = 0;
  virtual int piece_to_id(const std::string& piece) const = 0;
  virtual int unk_id() const = 0;
  virtual int size() const = 0;
};

/// The entry points of the module.
class SentencePieceBackend {
 public:
  virtual ~SentencePieceBackend() = default;
  /// Trains on `sentences` with SentencePieceTrainer `options` (key → value) and the random seed;
  /// returns the serialized model proto in `model`, or false with `error` set.
  virtual bool train(const std::vector<std::string_view>& sentences,
                     const std::unordered_map<std::string, std::string>& options, unsigned seed,
                     std::string& model, std::string& error) const = 0;
  /// Loads a serialized model proto; nullptr with `error` set on failure.
  virtual std::unique_ptr<SentencePieceModel> load(const std::string& model, std::string& error) const = 0;
};

/// Name of the module's factory function: `extern "C" SentencePieceBackend* attnlab_spm_backend()`.
inline constexpr const char* kSentencePieceEntryPoint = "attnlab_spm_backend";

/// The backend, loading the module on first use (thread-safe). Search order: $ATTNLAB_SPM_MODULE,
/// the build-time path, next to the executable (and ../lib, ../lib/attnlab), then the loader's path.
/// std::runtime_error naming every place tried when the module cannot be loaded.
const SentencePieceBackend& sentencepiece_backend();

}  // namespace attnlab::data
