// The SentencePiece module (libattnlab_spm.so): the only code that links libsentencepiece.
// See data/sentencepiece_backend.h for why it is loaded with dlopen.

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include "data/sentencepiece_backend.h"

namespace attnlab::data {
namespace {

class SentenceList : public sentencepiece::SentenceIterator {
 public:
  explicit SentenceList(const std::vector<std::string_view>& sentences) : sentences_(sentences) { load(); }
  bool done() const override { return index_ >= sentences_.size(); }
  void Next() override {
    ++index_;
    load();
  }
  const std::string& value() const override { return value_; }
  sentencepiece::util::Status status() const override { return {}; }

 private:
  void load() {
    if (!done()) value_.assign(sentences_[index_]);
  }
  const std::vector<std::string_view>& sentences_;
  size_t index_ = 0;
  std::string value_;
};

class Model : public SentencePieceModel {
 public:
  bool load(const std::string& model, std::string& error) {
    auto status = processor_.LoadFromSerializedProto(model);
    if (!status.ok()) error = status.ToString();
    return status.ok();
  }
  bool encode(std::string_view text, std::vector<int>& ids, std::string& error) const override {
    auto status = processor_.Encode(text, &ids);
    if (!status.ok()) error = status.ToString();
    return status.ok();
  }
  bool decode(const std::vector<int>& ids, std::string& text, std::string& error) const override {
    auto status = processor_.Decode(ids, &text);
    if (!status.ok()) error = status.ToString();
    return status.ok();
  }
  int piece_to_id(const std::string& piece) const override { return processor_.PieceToId(piece); }
  int unk_id() const override { return processor_.unk_id(); }
  int size() const override { return processor_.GetPieceSize(); }

 private:
  sentencepiece::SentencePieceProcessor processor_;
};

class Backend : public SentencePieceBackend {
 public:
  bool train(const std::vector<std::string_view>& sentences,
             const std::unordered_map<std::string, std::string>& options, unsigned seed, std::string& model,
             std::string& error) const override {
    sentencepiece::SetRandomGeneratorSeed(seed);
    SentenceList list(sentences);
    auto status = sentencepiece::SentencePieceTrainer::Train(options, &list, &model);
    if (!status.ok()) error = status.ToString();
    return status.ok();
  }
  std::unique_ptr<SentencePieceModel> load(const std::string& model, std::string& error) const override {
    auto m = std::make_unique<Model>();
    if (!m->load(model, error)) return nullptr;
    return m;
  }
};

}  // namespace
}  // namespace attnlab::data

extern "C" __attribute__((visibility("default"))) attnlab::data::SentencePieceBackend* attnlab_spm_backend() {
  static attnlab::data::Backend backend;
  return &backend;
}
