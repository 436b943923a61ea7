#include <catch2/catch.hpp>

#include <filesystem>

#include "data/bpe_tokenizer.h"
#include "data/cache.h"
#include "data/char_tokenizer.h"
#include "data/tokenizer.h"
#include "data/utf8.h"
#include "data_test_util.h"

using namespace attnlab::data;
using attnlab::data::test::sample_text;
using attnlab::data::test::TempDir;
using attnlab::data::test::user_error_of;

TEST_CASE("char tokenizer: round trip, sorted vocabulary, unknown id", "[data][tokenizer]") {
  const std::string text = sample_text();
  const CharTokenizer tok(text);
  CHECK(tok.name() == "char");
  CHECK(std::is_sorted(tok.code_points().begin(), tok.code_points().end()));
  CHECK(tok.vocab_size() == static_cast<int64_t>(tok.code_points().size()) + 1);

  const auto ids = tok.encode(text);
  CHECK(static_cast<int64_t>(ids.size()) == static_cast<int64_t>(decode_utf8(text).size()));
  CHECK(std::find(ids.begin(), ids.end(), CharTokenizer::kUnknownId) == ids.end());
  CHECK(tok.decode(ids) == text);
  CHECK(tok.decode(tok.encode("naïve — ✓")) == "naïve — ✓");

  const auto unknown = tok.encode("a日b");
  REQUIRE(unknown.size() == 3);
  CHECK(unknown[1] == CharTokenizer::kUnknownId);
  CHECK(tok.decode(unknown) == "a\xEF\xBF\xBD" "b");  // U+FFFD
  CHECK_THROWS_AS(tok.decode({static_cast<int32_t>(tok.vocab_size())}), std::out_of_range);
}

TEST_CASE("char tokenizer: save, load and cache", "[data][tokenizer]") {
  TempDir dir;
  const CharTokenizer tok(sample_text());
  tok.save(dir.path() / "vocab");
  const auto loaded = CharTokenizer::load(dir.path() / "vocab");
  CHECK(loaded->code_points() == tok.code_points());

  dir.write("broken", "attnlab char tokenizer v1\n3\n97\n");
  CHECK_THAT(user_error_of([&] { CharTokenizer::load(dir.path() / "broken"); }), Catch::Contains("malformed"));

  DataOptions options;
  const auto built = make_tokenizer(options, TextSource(sample_text()), dir.path() / "cache");
  CHECK(built->vocab_size() == tok.vocab_size());
  REQUIRE(std::distance(std::filesystem::directory_iterator(dir.path() / "cache"),
                        std::filesystem::directory_iterator()) == 1);
}

TEST_CASE("tokenizer factory: unknown names are listed", "[data][tokenizer]") {
  DataOptions options;
  options.tokenizer = "wordpiece";
  const auto msg = user_error_of([&] { make_tokenizer(options, TextSource("abc"), "/nonexistent"); });
  CHECK_THAT(msg, Catch::Contains("unknown tokenizer 'wordpiece'") && Catch::Contains("bpe, char"));
  CHECK(tokenizer_names() == std::vector<std::string>{"bpe", "char"});
}

TEST_CASE("bpe tokenizer: lossless round trip, reproducible training", "[data][tokenizer][bpe]") {
  const std::string text = sample_text(80);
  const auto tok = BpeTokenizer::train(text, 400);
  CHECK(tok->name() == "bpe");
  CHECK(tok->vocab_size() == 400);

  const auto ids = tok->encode(text);
  CHECK(static_cast<double>(ids.size()) < 0.75 * static_cast<double>(count_code_points(text)));  // it merges
  CHECK(tok->decode(ids) == text);
  for (const std::string s : {"naïve — ✓", "unseen 日本語 and 😀 via bytes", "  two  spaces\tand tab\n\n\nlines\n",
                              "\n", "", " leading space", "digits 1234567890"}) {
    INFO(s);
    CHECK(tok->decode(tok->encode(s)) == s);
  }

  TempDir dir;
  tok->save(dir.path() / "a.model");
  BpeTokenizer::train(text, 400)->save(dir.path() / "b.model");
  CHECK(read_file(dir.path() / "a.model") == read_file(dir.path() / "b.model"));
  const auto loaded = BpeTokenizer::load(dir.path() / "a.model");
  CHECK(loaded->encode(text) == ids);

  dir.write("junk.model", "not a model");
  CHECK_THAT(user_error_of([&] { BpeTokenizer::load(dir.path() / "junk.model"); }),
             Catch::Contains("cannot load model"));
}

TEST_CASE("bpe tokenizer: a vocabulary too small for bytes + characters is a UserError", "[data][tokenizer][bpe]") {
  CHECK_THAT(user_error_of([] { BpeTokenizer::train(sample_text(), 100); }),
             Catch::Contains("data.vocab_size=100"));
}
