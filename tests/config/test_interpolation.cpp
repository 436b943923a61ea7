// ${...} interpolation.
#include <catch2/catch.hpp>

#include "config/interpolation.h"
#include "config/yaml_loader.h"
#include "test_util.h"

using namespace attnlab::cfg;
using attnlab::cfg::testing::error_of;

namespace {
Node resolved(const std::string& text) {
  Node root = parse_yaml(text, "i.yaml");
  resolve_interpolations(root);
  return root;
}
std::string resolve_error(const std::string& text) {
  return error_of([&] { resolved(text); });
}
}  // namespace

TEST_CASE("whole-value interpolation copies the node and keeps its type", "[config][interpolation]") {
  const Node root = resolved("model: {d_model: 128, plan: [0, 1]}\nd: ${model.d_model}\np: ${model.plan}\nm: ${model}\n");
  CHECK(root.find("d")->text() == "128");
  CHECK_FALSE(root.find("d")->quoted());
  CHECK(root.find("p")->to_yaml() == "- 0\n- 1\n");
  CHECK(root.find("m")->to_yaml() == "d_model: 128\nplan:\n  - 0\n  - 1\n");
  CHECK(root.find("d")->source().str() == "i.yaml:2:4");
}

TEST_CASE("embedded interpolation builds a string", "[config][interpolation]") {
  const Node root = resolved("mixer: {name: taylor}\nseed: 3\nrun: run_${mixer.name}_s${seed}\nn: ~\nt: x${n}\n");
  CHECK(root.find("run")->text() == "run_taylor_s3");
  CHECK(root.find("run")->quoted());
  CHECK(root.find("t")->text() == "xnull");
}

TEST_CASE("interpolation chains and nested references resolve recursively", "[config][interpolation]") {
  const Node root = resolved("a: ${b}\nb: ${c.x}\nc: {x: 5, which: x}\nd: ${c.${c.which}}\nl: ['${a}', 1]\ne: ${l.0}\n");
  CHECK(root.find("a")->text() == "5");
  CHECK(root.find("d")->text() == "5");
  CHECK(root.find_path("l.0")->text() == "5");
  CHECK(root.find("e")->text() == "5");
}

TEST_CASE("escaped \\${ stays literal", "[config][interpolation]") {
  const Node root = resolved("a: 1\nb: '\\${a} and ${a}'\nc: '\\${a}'\nd: ${c}\n");
  CHECK(root.find("b")->text() == "${a} and 1");
  CHECK(root.find("c")->text() == "${a}");
  CHECK(root.find("d")->text() == "${a}");
  CHECK_FALSE(has_interpolation("\\${a}"));
  CHECK(has_interpolation("x${a}"));
}

TEST_CASE("unresolvable interpolation: location and closest key", "[config][interpolation][errors]") {
  CHECK(resolve_error("model:\n  d_model: 1\nx: ${model.d_modl}\n") ==
        "i.yaml:3:4: cannot resolve ${model.d_modl} (did you mean model.d_model?)");
  CHECK(resolve_error("x: ${zzzzzzzz}\n") == "i.yaml:1:4: cannot resolve ${zzzzzzzz}");
  CHECK(resolve_error("x: ${a\n") == "i.yaml:1:4: unterminated ${ in '${a'");
  CHECK(resolve_error("x: ${oc.env:HOME}\n") == "i.yaml:1:4: ${oc.env:HOME}: resolvers (name:args) are not supported");
  CHECK(resolve_error("m: {a: 1}\nx: a${m}\n") == "i.yaml:2:4: ${m} is a map, which cannot be inserted into a string");
}

TEST_CASE("interpolation cycles are named with the source of the first", "[config][interpolation][errors]") {
  CHECK(resolve_error("a:\n  b: ${c.d}\nc:\n  d: ${a.b}\n") == "i.yaml:2:6: interpolation cycle: a.b -> c.d -> a.b");
  CHECK(resolve_error("a: ${a}\n") == "i.yaml:1:4: interpolation cycle: a -> a");
  CHECK(resolve_error("x:\n  y: ${x}\n") == "i.yaml:2:6: interpolation cycle: x.y -> x -> x.y");
  CHECK(resolve_error("a: p${b}\nb: q${a}\n") == "i.yaml:1:4: interpolation cycle: a -> b -> a");
}

// Found by fuzz/interpolation_fuzzer: the resolver walked the tree by re-finding each dotted path,
// so a key holding a '.' crashed it (null pointer) and an empty key recursed forever.
TEST_CASE("keys holding '.' or empty keys do not break resolution", "[config][interpolation]") {
  const Node root = resolved("\"a.b\": ${c}\nc: 2\n\"\": x${c}\nd: {\"e.f\": [\"${c}\"]}\na: {b: 1}\ng: ${a.b}\n");
  CHECK(root.find("a.b")->text() == "2");
  CHECK(root.find("")->text() == "x2");
  CHECK(root.find("d")->find("e.f")->at(0).text() == "2");
  CHECK(root.find("g")->text() == "1");
  // The cycle check follows nodes, not paths: "a.b" at the root is not the node a.b.
  CHECK(resolved("\"a.b\": ${a.b}\na: {b: 3}\n").find("a.b")->text() == "3");
  CHECK_THAT(resolve_error("\"x.y\": ${x.y}\n"), Catch::StartsWith("i.yaml:1:8: cannot resolve ${x.y}"));
}

// Each reference copies its target: ten lines of "ten times the previous line" made 10^9 values.
TEST_CASE("references that copy too much or nest too deep are errors", "[config][interpolation][errors]") {
  std::string bomb = "a0: [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    bomb += "a" + std::to_string(i) + ": [";
    for (int j = 0; j < 10; ++j) bomb += std::string(j ? ", " : "") + "'${a" + std::to_string(i - 1) + "}'";
    bomb += "]\n";
  }
  CHECK_THAT(resolve_error(bomb), Catch::Contains("references copy more than 20000 values and characters"));
  std::string chain;  // k0 -> k1 -> ... -> k300: followed all at once
  for (int i = 0; i < 300; ++i) chain += "k" + std::to_string(i) + ": ${k" + std::to_string(i + 1) + "}\n";
  chain += "k300: end\n";
  CHECK_THAT(resolve_error(chain), Catch::Contains("references nested or chained more than 200 deep"));
  std::string nested = "x: 1\na: '";
  for (int i = 0; i < 300; ++i) nested += "${";
  nested += "x" + std::string(300, '}') + "'\n";
  CHECK(resolve_error(nested) == "i.yaml:2:4: references nested or chained more than 200 deep");
  CHECK(resolved("a: 1\nb: ${a}\nc: ${b}\n").find("c")->text() == "1");
}
