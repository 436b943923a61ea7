#include "data/bpe_tokenizer.h"

#include <algorithm>
#include <stdexcept>
#include <unordered_map>

#include "core/atomic_file.h"
#include "core/error.h"
#include "data/cache.h"
#include "data/sentencepiece_backend.h"

namespace attnlab::data {

namespace {

constexpr const char* kCacheVersion = "bpe-v1";
constexpr unsigned kTrainingSeed = 1234;

/// The non-empty lines of `text`: SentencePiece's training sentences.
std::vector<std::string_view> lines_of(const std::string& text) {
  std::vector<std::string_view> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    if (end > pos) lines.emplace_back(text.data() + pos, end - pos);
    pos = end + 1;
  }
  return lines;
}

}  // namespace

BpeTokenizer::BpeTokenizer(std::string serialized_model, const std::string& where)
    : model_(std::move(serialized_model)) {
  std::string error;
  sp_ = sentencepiece_backend().load(model_, error);
  if (!sp_) throw UserError("bpe tokenizer " + where + ": cannot load model: " + error);
  newline_id_ = sp_->piece_to_id("<0x0A>");
  if (newline_id_ == sp_->unk_id()) {
    throw UserError("bpe tokenizer " + where + ": model has no byte fallback piece <0x0A>");
  }
}

BpeTokenizer::~BpeTokenizer() = default;

std::shared_ptr<BpeTokenizer> BpeTokenizer::train(const std::string& text, int64_t vocab_size) {
  constexpr size_t kMaxLineBytes = 1 << 20;  // SentencePiece skips longer training lines
  const std::vector<std::string_view> lines = lines_of(text);
  size_t longest = 0;
  bool any_usable = false;
  for (const auto& line : lines) {
    longest = std::max(longest, line.size());
    any_usable = any_usable || (!line.empty() && line.size() <= kMaxLineBytes);
  }
  if (!any_usable && longest > kMaxLineBytes) {
    throw UserError("bpe tokenizer: every line of the training text is longer than " + std::to_string(kMaxLineBytes) +
                    " bytes (the longest has " + std::to_string(longest) +
                    "), and SentencePiece trains on lines: break the corpus into lines, or use data.tokenizer=char");
  }
  const std::unordered_map<std::string, std::string> options = {
      {"model_type", "bpe"},
      {"vocab_size", std::to_string(vocab_size)},
      {"byte_fallback", "true"},
      {"normalization_rule_name", "identity"},
      {"split_digits", "true"},
      {"add_dummy_prefix", "false"},
      {"remove_extra_whitespaces", "false"},
      {"allow_whitespace_only_pieces", "true"},
      {"character_coverage", "1.0"},
      {"num_threads", "1"},
      {"input_sentence_size", "2000000"},
      {"shuffle_input_sentence", "true"},
      {"max_sentence_length", std::to_string(kMaxLineBytes)},
      {"unk_id", "0"},
      {"bos_id", "-1"},
      {"eos_id", "-1"},
      {"pad_id", "-1"},
      {"minloglevel", "2"},
  };
  std::string model, error;
  if (!sentencepiece_backend().train(lines, options, kTrainingSeed, model, error)) {
    throw UserError("bpe tokenizer: SentencePiece training with data.vocab_size=" +
                    std::to_string(vocab_size) + " failed: " + error);
  }
  return std::shared_ptr<BpeTokenizer>(new BpeTokenizer(std::move(model), "(trained)"));
}

std::shared_ptr<BpeTokenizer> BpeTokenizer::load(const std::filesystem::path& path) {
  return std::shared_ptr<BpeTokenizer>(new BpeTokenizer(read_file(path, "bpe tokenizer"), path.string()));
}

std::string BpeTokenizer::training_sample(const TextSource& text, uint64_t max_bytes, uint64_t block_bytes) {
  if (text.size() <= max_bytes) return text.read_all();
  const uint64_t blocks = std::max<uint64_t>(1, max_bytes / block_bytes);
  const uint64_t stride = text.size() / blocks;
  std::string sample;
  for (uint64_t b = 0; b < blocks; ++b) {
    const std::string block = text.read(b * stride, static_cast<size_t>(block_bytes));
    // whole lines only: from after the first newline (unless at the start) to the last one
    const size_t first = b == 0 ? std::string::npos : block.find('\n');
    const size_t begin = b == 0 ? 0 : first == std::string::npos ? block.size() : first + 1;
    const size_t end = block.rfind('\n');  // the stretch ends after it
    if (end != std::string::npos && end + 1 > begin) sample.append(block, begin, end + 1 - begin);
  }
  return sample;
}

std::shared_ptr<Tokenizer> BpeTokenizer::build(const DataOptions& options, const TextSource& text,
                                               const std::filesystem::path& cache_dir) {
  const std::string training_text = training_sample(text);
  const std::string key =
      Hasher().add(std::string(kCacheVersion)).add(options.vocab_size).add(training_text).hex();
  const auto path = cache_dir / ("bpe-" + key + ".model");
  if (std::filesystem::exists(path)) {
    try {
      return load(path);
    } catch (const UserError&) {
      // a corrupt cache file is retrained below
    }
  }
  auto tokenizer = train(training_text, options.vocab_size);
  tokenizer->save(path);
  return tokenizer;
}

std::vector<int32_t> BpeTokenizer::encode(const std::string& text) const {
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 16);
  std::vector<int> line_ids;
  size_t pos = 0;
  while (true) {
    size_t end = text.find('\n', pos);
    const bool last = end == std::string::npos;
    if (last) end = text.size();
    if (end > pos) {
      std::string error;
      if (!sp_->encode(std::string_view(text).substr(pos, end - pos), line_ids, error)) {
        throw std::runtime_error("bpe tokenizer: encode failed: " + error);
      }
      ids.insert(ids.end(), line_ids.begin(), line_ids.end());
    }
    if (last) break;
    ids.push_back(newline_id_);
    pos = end + 1;
  }
  return ids;
}

std::string BpeTokenizer::decode(const std::vector<int32_t>& ids) const {
  const int32_t n = sp_->size();
  std::vector<int> as_int;
  as_int.reserve(ids.size());
  for (int32_t id : ids) {
    if (id < 0 || id >= n) {
      throw std::out_of_range("bpe tokenizer: id " + std::to_string(id) + " outside [0, " +
                              std::to_string(n) + ")");
    }
    as_int.push_back(id);
  }
  std::string text, error;
  if (!sp_->decode(as_int, text, error)) throw std::runtime_error("bpe tokenizer: decode failed: " + error);
  return text;
}

int64_t BpeTokenizer::vocab_size() const { return sp_->size(); }

void BpeTokenizer::save(const std::filesystem::path& path) const { write_file_atomic(path, model_); }

}  // namespace attnlab::data
