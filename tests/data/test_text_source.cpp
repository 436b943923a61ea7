// Text read from disk in blocks (data/text_source.h), the corpus scanned in blocks
// (data/corpus.h) and bpe's bounded training sample, each against the same thing done on one
// std::string held in memory.
#include <random>

#include "data/bpe_tokenizer.h"
#include "data/cache.h"
#include "data/corpus.h"
#include "data/text_source.h"
#include "data/utf8.h"
#include "data_test_util.h"

using namespace attnlab::data;
using attnlab::data::test::sample_text;
using attnlab::data::test::TempDir;
using attnlab::data::test::user_error_of;

namespace {

/// `text` cut into pieces at the given offsets, odd pieces from a file (after a prefix), even ones in memory.
TextSource pieces_of(const TempDir& dir, const std::string& text, std::vector<size_t> cuts) {
  cuts.insert(cuts.begin(), 0);
  cuts.push_back(text.size());
  TextSource source;
  for (size_t i = 0; i + 1 < cuts.size(); ++i) {
    const std::string part = text.substr(cuts[i], cuts[i + 1] - cuts[i]);
    if (i % 2 == 0) {
      source.append(TextPiece::of_bytes(part));
    } else {
      const auto file = dir.write("piece" + std::to_string(i) + ".txt", "prefix" + part + "suffix");
      source.append(TextPiece::of_file(file, 6, part.size()));
    }
  }
  return source;
}

}  // namespace

TEST_CASE("text source: every read equals the same bytes of the joined string", "[data][text]") {
  TempDir dir;
  const std::string text = "héllo\nwörld ✓ 𝄞 end";  // 1- to 4-byte code points
  const TextSource source = pieces_of(dir, text, {0, 2, 3, 9, 9, 15, 20});
  REQUIRE(source.size() == text.size());
  for (size_t offset = 0; offset <= text.size() + 1; ++offset) {
    for (size_t n = 0; n <= text.size() + 2; ++n) {
      CHECK(source.read(offset, n) == (offset < text.size() ? text.substr(offset, n) : ""));
    }
    if (offset <= text.size()) CHECK(source.boundary_at_or_before(offset) == utf8_boundary_at_or_before(text, offset));
  }
  CHECK(source.read_all() == text);
}

TEST_CASE("text source: blocks cover the text, end on code points; hash and count as on the string", "[data][text]") {
  TempDir dir;
  std::mt19937 rng(7);
  const std::vector<std::string> alphabet = {"a", "b", "\n", "é", "€", "𝄞", " "};
  std::string text;
  for (int i = 0; i < 3000; ++i) text += alphabet[rng() % alphabet.size()];
  const TextSource source = pieces_of(dir, text, {5, 700, 701, 2500, 4000});
  for (size_t block : {size_t{1}, size_t{4}, size_t{5}, size_t{97}, size_t{1} << 20}) {
    INFO("blocks of " << block);
    std::string joined;
    source.for_each_block(block, [&](const std::string& b) {
      CHECK(b.size() <= std::max<size_t>(block, 4) + 3);
      CHECK_FALSE(find_utf8_problem(b));
      joined += b;
    });
    CHECK(joined == text);
  }
  Hasher streamed, whole;
  hash_text(streamed, source);
  whole.add(text);
  CHECK(streamed.value() == whole.value());
  CHECK(count_code_points(source) == count_code_points(text));
  CHECK(count_code_points(TextSource()) == 0);
}

TEST_CASE("a corpus is validated in blocks: problems past the first block at the right line and offset", "[data][corpus]") {
  TempDir dir;
  const size_t block = size_t{4} << 20;  // scan_document's block
  std::string big(block - 5, 'x');
  for (size_t i = 100; i < big.size(); i += 1000) big[i] = '\n';
  big += "€ straddles the block boundary\n";  // file bytes block - 2 .. block (after the BOM): valid
  const auto good = dir.write("good.txt", "\xEF\xBB\xBF" + big);
  DataOptions options;
  options.path = {good};
  const CorpusFiles scanned = scan_corpus(locate_corpus(options));
  REQUIRE(scanned.documents.size() == 1);
  CHECK(scanned.documents[0].offset == 3);  // the byte order mark left out
  CHECK(scanned.documents[0].size == big.size());
  CHECK(load_corpus(options).documents[0] == big);

  for (const std::string& tail : {std::string("bad \xE9t\n"), std::string("nul \0 here", 10), std::string("cut \xE2\x82")}) {
    const std::string text = big + "more\n" + tail;
    options.path = {dir.write("bad.txt", text)};
    const auto problem = find_utf8_problem(text);  // the naive answer, on the whole string
    REQUIRE(problem);
    CHECK(user_error_of([&] { scan_corpus(locate_corpus(options)); }) == options.path[0] + ":" + std::to_string(problem->line) + ": " + problem->message());
  }
}

TEST_CASE("bpe trains on the whole text up to its limit, on whole lines spread over the text past it", "[data][bpe]") {
  TempDir dir;
  const std::string text = sample_text(200);
  const TextSource source = pieces_of(dir, text, {1000, 5000});
  CHECK(BpeTokenizer::training_sample(source, text.size(), 64) == text);
  const std::string sample = BpeTokenizer::training_sample(source, 8000, 1000);  // lines of about 330 bytes
  CHECK(sample.size() <= 8000);
  CHECK(sample.size() > 2000);
  CHECK(sample.back() == '\n');
  // every line of the sample is a whole line of the text, and they come from all of it
  size_t previous = 0, last = 0;
  for (size_t pos = 0; pos < sample.size();) {
    const size_t end = sample.find('\n', pos);
    const std::string line = sample.substr(pos, end + 1 - pos);
    const size_t at = pos == 0 ? 0 : text.find("\n" + line, previous);
    REQUIRE(at != std::string::npos);
    previous = last = at;
    pos = end + 1;
  }
  CHECK(last > text.size() * 8 / 10);
}
