#include "data/tokenizer.h"

#include "core/registry.h"
#include "data/bpe_tokenizer.h"
#include "data/char_tokenizer.h"

namespace attnlab::data {

namespace {

/// How a tokenizer is built from training text, and loaded from the file its save() wrote.
struct TokenizerKind {
  TokenizerFactory build;
  std::function<std::shared_ptr<Tokenizer>(const std::filesystem::path&)> load;
};

const Registry<TokenizerKind>& tokenizer_registry() {
  static const Registry<TokenizerKind> registry = [] {
    Registry<TokenizerKind> r("tokenizer");
    r.add("char", "unicode code points of the training split, plus one unknown id",
          {&CharTokenizer::build, [](const std::filesystem::path& p) { return CharTokenizer::load(p); }});
    r.add("bpe", "SentencePiece BPE (byte fallback, lossless) trained on the training split",
          {&BpeTokenizer::build, [](const std::filesystem::path& p) { return BpeTokenizer::load(p); }});
    return r;
  }();
  return registry;
}

}  // namespace

std::vector<std::string> tokenizer_names() { return tokenizer_registry().names(); }

std::shared_ptr<Tokenizer> make_tokenizer(const DataOptions& options, const TextSource& training_text,
                                          const std::filesystem::path& cache_dir) {
  return tokenizer_registry().get(options.tokenizer).build(options, training_text, cache_dir);
}

std::shared_ptr<Tokenizer> load_tokenizer(const std::string& name, const std::filesystem::path& path) {
  return tokenizer_registry().get(name).load(path);
}

}  // namespace attnlab::data
