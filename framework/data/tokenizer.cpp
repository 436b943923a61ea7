#include "data/tokenizer.h"

#include "core/registry.h"
#include "data/bpe_tokenizer.h"
#include "data/char_tokenizer.h"

namespace attnlab::data {

namespace {

const Registry<TokenizerFactory>& tokenizer_registry() {
  static const Registry<TokenizerFactory> registry = [] {
    Registry<TokenizerFactory> r("tokenizer");
    r.add("char", "unicode code points of the training split, plus one unknown id",
          &CharTokenizer::build);
    r.add("bpe", "SentencePiece BPE (byte fallback, lossless) trained on the training split",
          &BpeTokenizer::build);
    return r;
  }();
  return registry;
}

}  // namespace

std::vector<std::string> tokenizer_names() { return tokenizer_registry().names(); }

std::shared_ptr<Tokenizer> make_tokenizer(const DataOptions& options, const std::string& training_text,
                                          const std::filesystem::path& cache_dir) {
  return tokenizer_registry().get(options.tokenizer)(options, training_text, cache_dir);
}

}  // namespace attnlab::data
