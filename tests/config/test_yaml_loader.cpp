// YAML loading: locations, anchors, and one-line errors for malformed files.
#include <catch2/catch.hpp>

#include "config/yaml_loader.h"
#include "test_util.h"

using namespace attnlab::cfg;
using attnlab::cfg::testing::error_of;
using attnlab::cfg::testing::TempDir;

namespace {
std::string parse_error(const std::string& text) {
  return error_of([&] { parse_yaml(text, "f.yaml"); });
}
}  // namespace

TEST_CASE("parse_yaml keeps 1-based line:col of every value", "[config][yaml]") {
  const Node root = parse_yaml("# comment\nmodel:\n  d_model: 128\n  list:\n    - a\n", "m.yaml");
  CHECK(root.find_path("model.d_model")->source().str() == "m.yaml:3:12");
  CHECK(root.find_path("model.list.0")->source().str() == "m.yaml:5:7");
}

TEST_CASE("parse_yaml: quoted scalars are strings, plain null words are null", "[config][yaml]") {
  const Node root = parse_yaml("a: \"1\"\nb: 1\nc: ~\nd:\ne: !!str 2\nf: 'null'\n", "t.yaml");
  CHECK(root.find("a")->quoted());
  CHECK_FALSE(root.find("b")->quoted());
  CHECK(root.find("c")->is_null());
  CHECK(root.find("d")->is_null());
  CHECK(root.find("e")->quoted());
  CHECK(root.find("f")->is_scalar());
}

TEST_CASE("parse_yaml resolves anchors, aliases and << merge keys", "[config][yaml]") {
  const Node root = parse_yaml("base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\ne: *b\n", "a.yaml");
  CHECK(root.to_yaml() == "base:\n  x: 1\n  y: 2\nd:\n  x: 1\n  y: 3\ne:\n  x: 1\n  y: 2\n");
  CHECK(parse_error("a: *nope\n") == "f.yaml:1:4: alias refers to an undefined anchor");
  CHECK(parse_error("a: &s 1\nb:\n  <<: *s\n") ==
        "f.yaml:1:4: merge key '<<' needs a map or a list of maps (an alias such as *base)");
}

TEST_CASE("empty YAML is a null tree", "[config][yaml]") {
  CHECK(parse_yaml("", "e.yaml").is_null());
  CHECK(parse_yaml("# only a comment\n", "e.yaml").is_null());
}

TEST_CASE("YAML error: tab used for indentation", "[config][yaml][errors]") {
  CHECK(parse_error("model:\n\td_model: 1\n") == "f.yaml:2:1: tab character used for indentation");
  CHECK(parse_error("model:\n  \td_model: 1\n") == "f.yaml:2:3: tab character used for indentation");
}

TEST_CASE("YAML error: duplicate keys name the first occurrence", "[config][yaml][errors]") {
  CHECK(parse_error("a: 1\nb:\n  x: 1\n  x: 2\n") == "f.yaml:4:3: duplicate key 'x' (first at line 3)");
  CHECK(parse_error("a: 1\na: 2\n") == "f.yaml:2:1: duplicate key 'a' (first at line 1)");
}

TEST_CASE("YAML error: bad indentation", "[config][yaml][errors]") {
  CHECK(parse_error("a:\n  b: 1\n c: 2\n") == "f.yaml:3:2: bad indentation or a missing ':' (end of map not found)");
  const std::string deeper = parse_error("a: 1\n  b: 2\n");
  CHECK(deeper.rfind("f.yaml:2:4: bad indentation", 0) == 0);
  CHECK(parse_error("- a\nb: 1\n") ==
        "f.yaml:2:1: unexpected content after the end of the top-level node (bad indentation?)");
}

TEST_CASE("YAML error: unterminated quotes and brackets", "[config][yaml][errors]") {
  CHECK(parse_error("a: \"abc\nb: 2\n") == "f.yaml:1:4: unterminated quoted string (a quote must close on its line)");
  CHECK(parse_error("a: 'abc\n") == "f.yaml:1:4: unterminated quoted string (a quote must close on its line)");
  CHECK(parse_error("a: [1, 2\nb: 3\n").find("unterminated '[' (missing ']')") != std::string::npos);
  CHECK(parse_error("a: {x: 1\n").find("unterminated '{' (missing '}')") != std::string::npos);
  CHECK(parse_yaml("a: 'it''s'\nb: \"q\\\"x\"\n", "ok.yaml").find("a")->text() == "it's");
}

TEST_CASE("YAML error: several documents, custom tags, non-scalar keys", "[config][yaml][errors]") {
  CHECK(parse_error("a: 1\n---\nb: 2\n") == "f.yaml:2:1: more than one YAML document ('---'); a config file holds one");
  CHECK(parse_error("a: !foo 1\n") == "f.yaml:1:4: unsupported YAML tag '!foo'");
  CHECK(parse_error("? [1, 2]\n: x\n").find("a map key must be a plain string, got a list") != std::string::npos);
}

TEST_CASE("every YAML error is one line", "[config][yaml][errors]") {
  for (const char* text : {"a:\n  b: 1\n c: 2\n", "a: [1\n", "a: \"x\n", "a: 1\na: 2\n", "a: b: c\n", "a: \"\\q\"\n"}) {
    const std::string message = parse_error(text);
    CHECK(message.rfind("f.yaml:", 0) == 0);
    CHECK(message.find('\n') == std::string::npos);
  }
}

TEST_CASE("load_yaml_file: missing file and a real file", "[config][yaml]") {
  TempDir dir;
  CHECK(error_of([&] { load_yaml_file(dir / "nope.yaml"); }) == "config file not found: " + (dir / "nope.yaml"));
  const std::string path = dir.write("x.yaml", "k: v\n");
  const Node root = load_yaml_file(path);
  CHECK(root.find("k")->source().str() == path + ":1:4");
}

// Found by fuzz/compose_fuzzer: `a: !!int` and `a: !!x null` gave an unquoted scalar "" or
// "null", which to_yaml prints as "" (a string) or null (a null): the printed file read back
// differently.
TEST_CASE("an empty or null-word tagged value is null unless tagged !!str", "[config][yaml]") {
  const Node root = parse_yaml("a: !!int\nb: !!str\nc: !!float ''\nd: !!x null\ne: !!str ~\nf: !!int ~\n", "t.yaml");
  CHECK(root.find("a")->is_null());
  CHECK(root.find("b")->is_scalar());
  CHECK(root.find("b")->quoted());
  CHECK(root.find("c")->is_null());
  CHECK(root.find("d")->is_null());
  CHECK(root.find("e")->text() == "~");
  CHECK(root.find("f")->is_null());
  CHECK(parse_yaml(root.to_yaml(), "printed.yaml") == root);
}

// Aliases copy their anchor: nine lines of "ten times the previous anchor" made 10^9 values.
TEST_CASE("YAML error: aliases that copy too much", "[config][yaml][errors]") {
  std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    const std::string previous = "*a" + std::to_string(i - 1);
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) bomb += (j ? ", " : "") + previous;
    bomb += "]\n";
  }
  CHECK_THAT(parse_error(bomb), Catch::Contains("aliases copy more than 20000 values and characters"));
  CHECK(parse_yaml("a: &a [1, 2]\nb: [*a, *a]\n", "t.yaml").find("b")->size() == 2);
}

// Found by fuzz/interpolation_fuzzer: NUL bytes make yaml-cpp read the text as UTF-16, so the
// position of a second document lay past the end of the text and std::string::compare threw
// std::out_of_range instead of a UserError.
TEST_CASE("YAML error: a second document past the end of the text (NUL bytes)", "[config][yaml][errors]") {
  const std::string text("'\0\0''''<<''''''\0'''", 19);
  CHECK_THAT(parse_error(text), Catch::Contains("unexpected content after the end of the top-level node"));
}

// yaml-cpp 0.7 gives up at about 500 levels with the message "bad file".
TEST_CASE("a config file nested too deep says so", "[config][yaml]") {
  const std::string deep = "a: " + std::string(600, '[') + std::string(600, ']') + "\n";
  CHECK_THROWS_WITH(parse_yaml(deep, "deep.yaml"), Catch::Contains("deep.yaml:1:") && Catch::Contains("nested too deep"));
  CHECK(parse_yaml("a: " + std::string(300, '[') + std::string(300, ']') + "\n", "ok.yaml").find("a")->is_sequence());
}
