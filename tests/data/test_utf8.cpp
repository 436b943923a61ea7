#include <catch2/catch.hpp>

#include "data/utf8.h"
#include "data_test_util.h"

using namespace attnlab::data;

TEST_CASE("utf8: valid text has no problem", "[data][utf8]") {
  CHECK_FALSE(find_utf8_problem(""));
  CHECK_FALSE(find_utf8_problem("plain ascii\n"));
  CHECK_FALSE(find_utf8_problem("naïve — ✓ 日本 😀 \xF4\x8F\xBF\xBF"));  // incl. U+10FFFF
  CHECK_FALSE(find_utf8_problem("\xED\x9F\xBF \xEE\x80\x80"));        // U+D7FF, U+E000 around the surrogates
}

TEST_CASE("utf8: bad bytes are reported at the start of the bad sequence", "[data][utf8]") {
  struct Case {
    std::string text;
    size_t offset;
    uint8_t byte;
  };
  const Case cases[] = {
      {"ab\xFF", 2, 0xFF},               // never valid
      {"x\x80y", 1, 0x80},               // stray continuation byte
      {"ab\xC3", 2, 0xC3},               // truncated at the end
      {"ab\xC3(", 2, 0xC3},              // bad continuation
      {"\xC0\xAF", 0, 0xC0},             // overlong '/'
      {"a\xE0\x80\xAF", 1, 0xE0},        // overlong 3-byte
      {"ab\xF0\x82\x82\xAC", 2, 0xF0},   // overlong 4-byte
      {"\xED\xA0\x80", 0, 0xED},         // surrogate U+D800
      {"ok \xED\xBF\xBF", 3, 0xED},      // surrogate U+DFFF
      {"\xF4\x90\x80\x80", 0, 0xF4},     // above U+10FFFF
      {"\xF5\x80\x80\x80", 0, 0xF5},     // lead byte above F4
      {"é\xE2\x82", 2, 0xE2},            // truncated 3-byte after a valid 2-byte
  };
  for (const auto& c : cases) {
    INFO("text offset " << c.offset);
    auto problem = find_utf8_problem(c.text);
    REQUIRE(problem);
    CHECK(problem->offset == c.offset);
    CHECK(problem->byte == c.byte);
    CHECK_FALSE(problem->nul);
  }
}

TEST_CASE("utf8: NUL bytes mark a binary file; lines are counted", "[data][utf8]") {
  auto nul = find_utf8_problem(std::string("line 1\nline\0 2", 14));
  REQUIRE(nul);
  CHECK(nul->nul);
  CHECK(nul->offset == 11);
  CHECK(nul->line == 2);

  auto problem = find_utf8_problem("a\nb\nc\xff");
  REQUIRE(problem);
  CHECK(problem->line == 3);
  CHECK(problem->message() == "invalid UTF-8 byte 0xff at byte offset 5");

  const auto msg = attnlab::data::test::user_error_of([] { check_utf8("a\nb\nc\xff", "x.txt"); });
  CHECK(msg == "x.txt:3: invalid UTF-8 byte 0xff at byte offset 5");
}

TEST_CASE("utf8: decode and encode code points", "[data][utf8]") {
  const std::string text = "aé—✓😀";
  const auto cps = decode_utf8(text);
  REQUIRE(cps == std::vector<char32_t>{U'a', U'é', U'—', U'✓', U'😀'});
  std::string back;
  for (char32_t cp : cps) append_utf8(cp, back);
  CHECK(back == text);
  CHECK(count_code_points(text) == 5);
  CHECK(utf8_boundary_at_or_before(text, 2) == 1);  // inside 'é' → its start
  CHECK(utf8_boundary_at_or_before(text, 3) == 3);
  CHECK(utf8_boundary_at_or_before(text, 1000) == text.size());
}
