#pragma once
/// SentencePiece BPE tokenizer, trained on the training split; lossless thanks to byte fallback.

#include <memory>

#include "data/tokenizer.h"

namespace attnlab::data {

class SentencePieceModel;

/// A SentencePiece BPE model trained reproducibly (one thread, fixed seed) with identity
/// normalisation, no dummy prefix, whitespace kept, digits split and byte fallback, so
/// decode(encode(x)) == x for any valid UTF-8 x (except the character U+2581, which SentencePiece
/// uses for the space). Newlines never occur inside pieces: lines are encoded separately and joined
/// by the byte token <0x0A>.
class BpeTokenizer : public Tokenizer {
 public:
  /// Trains on the lines of `text`; UserError when SentencePiece refuses (e.g. a vocab_size below
  /// 256 byte pieces + the characters of the text + 1).
  static std::shared_ptr<BpeTokenizer> train(const std::string& text, int64_t vocab_size);
  /// Loads a serialized model (a .model file); UserError when missing or malformed.
  static std::shared_ptr<BpeTokenizer> load(const std::filesystem::path& path);
  /// TokenizerFactory: trains on training_sample(training_text); loads
  /// `<cache_dir>/bpe-<hash of the sample + vocab_size>.model` when it exists, else trains and saves it.
  static std::shared_ptr<Tokenizer> build(const DataOptions& options, const TextSource& training_text,
                                          const std::filesystem::path& cache_dir);
  /// What SentencePiece trains on, bounded whatever the corpus's size: the whole text up to
  /// `max_bytes`; past that, max_bytes / block_bytes evenly spaced stretches of whole lines, about
  /// `block_bytes` each.
  static std::string training_sample(const TextSource& text, uint64_t max_bytes = uint64_t{64} << 20,
                                     uint64_t block_bytes = uint64_t{1} << 20);

  ~BpeTokenizer() override;
  std::vector<int32_t> encode(const std::string& text) const override;
  std::string decode(const std::vector<int32_t>& ids) const override;
  int64_t vocab_size() const override;
  std::string name() const override { return "bpe"; }
  /// The SentencePiece model proto (a standard .model file, loadable by the sentencepiece tools).
  void save(const std::filesystem::path& path) const override;

 private:
  BpeTokenizer(std::string serialized_model, const std::string& where);

  std::string model_;  // serialized ModelProto
  std::unique_ptr<SentencePieceModel> sp_;  // loaded through sentencepiece_backend()
  int32_t newline_id_ = -1;
};

}  // namespace attnlab::data
