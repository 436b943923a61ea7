// The command-line override grammar.
#include <catch2/catch.hpp>

#include "config/override.h"
#include "test_util.h"

using namespace attnlab::cfg;
using attnlab::cfg::testing::error_of;

namespace {
std::string value_yaml(const std::string& text) { return parse_override(text).value.to_yaml(); }
}  // namespace

TEST_CASE("override kinds come from the prefix", "[config][override]") {
  CHECK(parse_override("a.b=1").kind == Override::Kind::Set);
  CHECK(parse_override("+a.b=1").kind == Override::Kind::Add);
  CHECK(parse_override("++a.b=1").kind == Override::Kind::ForceAdd);
  const Override del = parse_override("~a.b");
  CHECK(del.kind == Override::Kind::Delete);
  CHECK_FALSE(del.has_value);
  CHECK(del.key == "a.b");
  const Override del_value = parse_override("~a.b=3");
  CHECK(del_value.has_value);
  CHECK(del_value.value.text() == "3");
  CHECK(parse_override("++a.b=1").key == "a.b");
  CHECK(std::string(parse_override("++a=1").prefix()) == "++");
}

TEST_CASE("override values: scalars keep YAML typing, null, empty", "[config][override]") {
  CHECK(value_yaml("a=3") == "3\n");
  CHECK(value_yaml("a= 3e-4 ") == "3e-4\n");
  CHECK(value_yaml("a=hello world") == "hello world\n");
  CHECK(parse_override("a=null").value.is_null());
  CHECK(parse_override("a=").value.text().empty());
  CHECK(value_yaml("a=${model.d_model}") == "\"${model.d_model}\"\n");
  CHECK(value_yaml("data.path=/tmp/x=y.txt") == "/tmp/x=y.txt\n");
}

TEST_CASE("override values: quoted strings with escapes stay strings", "[config][override]") {
  const Override single = parse_override("a='1'");
  CHECK(single.value.quoted());
  CHECK(single.value.text() == "1");
  CHECK(parse_override("a=\"say \\\"hi\\\"\"").value.text() == "say \"hi\"");
  CHECK(parse_override("a='it\\'s'").value.text() == "it's");
  CHECK(parse_override("a='x,y'").value.text() == "x,y");
  CHECK_FALSE(parse_override("a='x,y'").is_sweep());
}

TEST_CASE("override values: lists and maps, nested", "[config][override]") {
  CHECK(value_yaml("a=[1,2]") == "- 1\n- 2\n");
  CHECK(value_yaml("a=[1,[2,3],'x,y']") == "- 1\n- - 2\n  - 3\n- \"x,y\"\n");
  CHECK(value_yaml("a={x: 1, y: [a, b]}") == "x: 1\ny:\n  - a\n  - b\n");
  CHECK(value_yaml("a=[]") == "[]\n");
  CHECK(value_yaml("a={}") == "{}\n");
  CHECK(value_yaml("a=[${x.y}, 2]") == "- \"${x.y}\"\n- 2\n");
}

TEST_CASE("override sweeps: comma lists split only at the top level", "[config][override]") {
  CHECK(parse_override("mixer=softmax,taylor,mlp").sweep == std::vector<std::string>{"softmax", "taylor", "mlp"});
  CHECK(parse_override("a=[1,2],[3]").sweep == std::vector<std::string>{"[1,2]", "[3]"});
  CHECK(parse_override("a='x,y',z").sweep == std::vector<std::string>{"'x,y'", "z"});
  CHECK_FALSE(parse_override("a=[1,2]").is_sweep());
  CHECK(parse_override("+a=1,2").with_value("2") == "+a=2");
}

TEST_CASE("override sweeps: range(start,stop[,step])", "[config][override]") {
  CHECK(parse_override("seed=range(0,3)").sweep == std::vector<std::string>{"0", "1", "2"});
  CHECK(parse_override("seed=range(10,0,-4)").sweep == std::vector<std::string>{"10", "6", "2"});
  CHECK(parse_override("lr=range(0.1,0.4,0.1)").sweep == std::vector<std::string>{"0.1", "0.2", "0.3"});
  CHECK(error_of([] { parse_override("seed=range(3,0)"); }) == "command line: bad override 'seed=range(3,0)': range(...) is empty");
  CHECK(error_of([] { parse_override("seed=range(0,3,0)"); }) ==
        "command line: bad override 'seed=range(0,3,0)': range step must not be 0");
  CHECK(error_of([] { parse_override("seed=range(0)"); }) ==
        "command line: bad override 'seed=range(0)': range needs (start,stop) or (start,stop,step)");
}

TEST_CASE("malformed overrides: one-line errors naming the problem", "[config][override][errors]") {
  CHECK(error_of([] { parse_override("a.b"); }) ==
        "command line: bad override 'a.b': missing '=' (expected key=value; ~key deletes a key)");
  CHECK(error_of([] { parse_override("=3"); }) == "command line: bad override '=3': empty key");
  CHECK(error_of([] { parse_override("a..b=1"); }) == "command line: bad override 'a..b=1': empty key segment");
  CHECK(error_of([] { parse_override("a=[1,2"); }) == "command line: bad override 'a=[1,2': unterminated '[' (missing ']')");
  CHECK(error_of([] { parse_override("+~a=1"); }) ==
        "command line: bad override '+~a=1': invalid character '~' in key '~a'");
  CHECK(error_of([] { parse_override("a={x 1}"); }) ==
        "command line: bad override 'a={x 1}': expected ':' after map key 'x 1'");
  CHECK(error_of([] { parse_override("a='abc"); }) == "command line: bad override 'a='abc': unterminated quote '");
  CHECK(error_of([] { parse_override("a=x]"); }) == "command line: bad override 'a=x]': unmatched ']'");
  CHECK(error_of([] { parse_override("~a=1,2"); }) == "command line: bad override '~a=1,2': a delete (~) cannot sweep values");
  CHECK(error_of([] { parse_override("a=[1,,2]"); }) == "command line: bad override 'a=[1,,2]': missing value");
}

TEST_CASE("to_override_value is read back by parse_override_value", "[config][override]") {
  const std::vector<std::string> texts = {"softmax", "3", "'1'", "[1,[2,'x,y']]", "{a: 1, b: [true,'null']}",
                                          "null", "''", "'it\\'s, ok'", "'range(0,2)'", "'a\\nb'"};
  for (const auto& text : texts) {
    const Node value = parse_override_value(text, "test");
    INFO(text);
    CHECK(to_override_value(value) == text);
    CHECK(parse_override_value(to_override_value(value), "test") == value);
  }
}

// Found by fuzz/override_fuzzer: a key that reads as null ('null', '~') or holds ':' was printed
// plain, so to_override_value's output did not parse ("empty key in a map") or split the key.
TEST_CASE("to_override_value quotes map keys that would read back as null or split at ':'", "[config][override]") {
  for (const std::string text : {"{'null': 1, '~': 2, 'a:b': 3, 'NULL': x}", "{'1': {'a: b': [1]}}"}) {
    const Node value = parse_override_value(text, "test");
    INFO(to_override_value(value));
    CHECK(parse_override_value(to_override_value(value), "test") == value);
  }
  CHECK(to_override_value(parse_override_value("{'null': 1, 'a:b': 2, 1: x}", "test")) == "{'null': 1, 'a:b': 2, 1: x}");
}

// Found by fuzz/override_fuzzer: "a=x,range(1" was a sweep whose job "a=range(1" could not parse.
TEST_CASE("range( cannot start an item of a comma sweep", "[config][override][errors]") {
  CHECK(error_of([] { parse_override("a=1,range(0"); }) ==
        "command line: bad override 'a=1,range(0': range(...) must be the whole value, not one item of a comma "
        "list (quote it for a literal string)");
  CHECK(error_of([] { parse_override("a=\trange(0,3)"); }) != "<no error>");
  CHECK(parse_override("a=1,'range(0'").sweep == std::vector<std::string>{"1", "'range(0'"});
}

// A deep nesting used to recurse until the stack overflowed (a 200 kB argument crashed).
TEST_CASE("override values nested too deep are an error, not a stack overflow", "[config][override][errors]") {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  CHECK(error_of([&] { parse_override_value(deep, "test"); }) ==
        "test: bad value '" + deep + "': lists and maps nested more than 400 deep");
  const std::string ok = std::string(400, '[') + std::string(400, ']');  // yaml-cpp reads about 500 levels
  CHECK(parse_override_value(ok, "test").is_sequence());
}

// Lists and maps are read by yaml-cpp (issue 20 item 5), so inside brackets a value means what it
// means in a config file; the top level keeps Hydra's quoting.
TEST_CASE("override lists and maps read like YAML flow values", "[config][override]") {
  const Node items = parse_override_value("['it''s', \"a\\\"b\", \"tab\\there\", x: 1, a:b]", "test");
  REQUIRE(items.size() == 5);
  CHECK(items.at(0).text() == "it's");
  CHECK(items.at(1).text() == "a\"b");
  CHECK(items.at(2).text() == "tab\there");
  CHECK(items.at(3).is_map());
  CHECK(items.at(3).find("x")->text() == "1");
  CHECK(items.at(4).text() == "a:b");
  CHECK(parse_override("a=['x,y', 'it''s, ok'],z").sweep == std::vector<std::string>{"['x,y', 'it''s, ok']", "z"});
  CHECK(parse_override("a=it's").value.text() == "it's");  // a quote inside a plain value is text
  CHECK(value_yaml("a={k: ${x.y}, ${a}: [${b}x]}") == "k: \"${x.y}\"\n\"${a}\":\n  - \"${b}x\"\n");
  CHECK(parse_override("a=[1,2]").value.at(0).source().str() == "command line");
  // Found by fuzz/override_fuzzer: an interpolation inside a quoted item was hidden from yaml-cpp
  // with its escapes undecoded, so "${x\x01}" printed and read back as "${x\\x01}".
  Node items_with_escapes = Node::sequence();
  items_with_escapes.push_back(Node::scalar(std::string("${x.y\x01\0}", 8)));
  CHECK(to_override_value(items_with_escapes) == "[\"${x.y\\x01\\x00}\"]");
  CHECK(parse_override_value(to_override_value(items_with_escapes), "test") == items_with_escapes);
  // Found by fuzz/override_fuzzer: a brace inside quotes inside ${...} ended the interpolation for
  // one scanner and not the other, and the second read past the end of the text.
  CHECK(parse_override_value("[${x:'{'}, 2]", "test").at(0).text() == "${x:'{'}");
  CHECK(parse_override("a=${x:'}'},2").sweep == std::vector<std::string>{"${x:'}'}", "2"});
  // Found by fuzz/override_fuzzer: a quote after a ':' with no space is text, as yaml-cpp reads it.
  CHECK(parse_override_value("{k: a:\"b, c: 'd'}", "test").find("k")->text() == "a:\"b");
  // Found by fuzz/override_fuzzer: after the closing bracket, Hydra's quoting ended a quote that
  // YAML's did not, and the interpolation hiding read past the end.
  CHECK(error_of([] { parse_override_value("[x]~: ',y'':3", "test"); }) ==
        "test: bad value '[x]~: ',y'':3': a map key must be a plain string, got a list");
  // Hydra writes maps without a space after the key's ':'; YAML would read the key "mixer:softmax".
  CHECK(value_yaml("a={mixer:softmax,layers:even}") == "mixer: softmax\nlayers: even\n");
  CHECK(value_yaml("a={u:http://x,n:{k:'v,w'}}") == "u: http://x\nn:\n  k: \"v,w\"\n");
  // Found by fuzz/override_fuzzer: a value holding the marker character U+E000 itself.
  CHECK(parse_override_value("[:/ y\xEE\x80\x80" "0]", "test").at(0).text() == ":/ y\xEE\x80\x80" "0");
  // Found by fuzz/override_fuzzer: a key printed longer than 1024 characters is no implicit key.
  Node long_key = Node::map();
  long_key[std::string(1100, 'k') + ",]"] = Node::scalar("z");
  CHECK(to_override_value(long_key).rfind("{? 'kkk", 0) == 0);
  CHECK(parse_override_value(to_override_value(long_key), "test") == long_key);
  // Found by fuzz/override_fuzzer: yaml-cpp reads no '?' in a plain scalar in a flow value.
  const Node question = parse_override_value("{'??': 'a?'}", "test");
  CHECK(to_override_value(question) == "{'??': 'a?'}");
  CHECK(parse_override_value(to_override_value(question), "test") == question);
  CHECK(error_of([] { parse_override("a={x: }"); }) == "command line: bad override 'a={x: }': missing value");
  CHECK(error_of([] { parse_override("a=[1] x"); }) == "command line: bad override 'a=[1] x': unexpected text after the value");
  CHECK(error_of([] { parse_override("a={x: 1, x: 2}"); }) ==
        "command line: bad override 'a={x: 1, x: 2}': duplicate key 'x' (first at line 1)");
  CHECK(error_of([] { parse_override("a=[!foo x]"); }) == "command line: bad override 'a=[!foo x]': unsupported YAML tag '!foo'");
  CHECK(error_of([] { parse_override("a=[1],[2"); }) == "command line: bad override 'a=[1],[2': unterminated '[' (missing ']')");
}

TEST_CASE("override lists take Hydra's plain '*' and '?' (globs), which YAML reads as indicators", "[config][override]") {
  const Node globs = parse_override_value("[*.txt, web/a?.txt,b|c, 7, x: y*]", "test");
  REQUIRE(globs.size() == 5);
  CHECK(globs.at(0).text() == "*.txt");  // an alias in YAML
  CHECK(globs.at(1).text() == "web/a?.txt");
  CHECK(globs.at(2).text() == "b|c");
  CHECK(globs.at(3).text() == "7");
  CHECK_FALSE(globs.at(3).quoted());  // items without an indicator keep YAML typing
  CHECK(globs.at(4).is_map());        // "x: y*" in a list stays a map
  CHECK(parse_override_value("{k: *.txt}", "test").find("k")->text() == "*.txt");
  // a sweep job's overrides (Slurm, `--resume`) are printed and read back
  CHECK(parse_override_value(to_override_value(globs), "test") == globs);
}
