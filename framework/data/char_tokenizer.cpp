#include "data/char_tokenizer.h"

#include <algorithm>
#include <set>
#include <sstream>
#include <stdexcept>

#include "core/atomic_file.h"
#include "core/error.h"
#include "data/cache.h"
#include "data/utf8.h"

namespace attnlab::data {

namespace {
constexpr const char* kHeader = "attnlab char tokenizer v1";
constexpr char32_t kReplacement = 0xFFFD;
}  // namespace

CharTokenizer::CharTokenizer(std::vector<char32_t> sorted_code_points)
    : code_points_(std::move(sorted_code_points)) {
  ids_.reserve(code_points_.size());
  for (size_t i = 0; i < code_points_.size(); ++i) ids_[code_points_[i]] = static_cast<int32_t>(i + 1);
}

CharTokenizer::CharTokenizer(const TextSource& text)
    : CharTokenizer([&] {
        // In 1 MB blocks into a bitmap: decoding a large text whole would hold 4 bytes a character.
        std::vector<bool> seen(0x110000);
        text.for_each_block(1 << 20, [&](const std::string& block) {
          for (char32_t cp : decode_utf8(block)) seen[cp] = true;
        });
        std::vector<char32_t> code_points;
        for (char32_t cp = 0; cp < seen.size(); ++cp)
          if (seen[cp]) code_points.push_back(cp);
        return code_points;
      }()) {}

std::shared_ptr<CharTokenizer> CharTokenizer::load(const std::filesystem::path& path) {
  std::istringstream in(read_file(path, "char tokenizer"));
  auto malformed = [&](const std::string& why) {
    return UserError("char tokenizer " + path.string() + ": malformed file (" + why + ")");
  };
  std::string header;
  std::getline(in, header);
  if (header != kHeader) throw malformed("bad header");
  int64_t count = -1;
  if (!(in >> count) || count < 0 || count > 0x110000) throw malformed("bad count");
  std::vector<char32_t> code_points;
  code_points.reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    int64_t cp = -1;
    if (!(in >> cp) || cp < 0 || cp > 0x10FFFF) throw malformed("bad code point at entry " + std::to_string(i));
    if (!code_points.empty() && static_cast<char32_t>(cp) <= code_points.back()) {
      throw malformed("code points not strictly ascending");
    }
    code_points.push_back(static_cast<char32_t>(cp));
  }
  std::string rest;
  if (in >> rest) throw malformed("trailing data");
  return std::shared_ptr<CharTokenizer>(new CharTokenizer(std::move(code_points)));
}

std::shared_ptr<Tokenizer> CharTokenizer::build(const DataOptions&, const TextSource& training_text,
                                                const std::filesystem::path& cache_dir) {
  Hasher key;
  key.add(std::string(kHeader));
  hash_text(key, training_text);
  const auto path = cache_dir / ("char-" + key.hex() + ".vocab");
  if (std::filesystem::exists(path)) {
    try {
      return load(path);
    } catch (const UserError&) {
      // a corrupt cache file is rebuilt below
    }
  }
  auto tokenizer = std::make_shared<CharTokenizer>(training_text);
  tokenizer->save(path);
  return tokenizer;
}

std::vector<int32_t> CharTokenizer::encode(const std::string& text) const {
  std::vector<int32_t> ids;
  ids.reserve(text.size());
  for (char32_t cp : decode_utf8(text)) {
    auto it = ids_.find(cp);
    ids.push_back(it == ids_.end() ? kUnknownId : it->second);
  }
  return ids;
}

std::string CharTokenizer::decode(const std::vector<int32_t>& ids) const {
  std::string text;
  text.reserve(ids.size());
  for (int32_t id : ids) {
    if (id < 0 || id >= vocab_size()) {
      throw std::out_of_range("char tokenizer: id " + std::to_string(id) + " outside [0, " +
                              std::to_string(vocab_size()) + ")");
    }
    append_utf8(id == kUnknownId ? kReplacement : code_points_[static_cast<size_t>(id - 1)], text);
  }
  return text;
}

void CharTokenizer::save(const std::filesystem::path& path) const {
  std::ostringstream out;
  out << kHeader << '\n' << code_points_.size() << '\n';
  for (char32_t cp : code_points_) out << static_cast<uint32_t>(cp) << '\n';
  write_file_atomic(path, out.str());
}

}  // namespace attnlab::data
