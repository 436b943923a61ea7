// MapReader: the typed, strict schema reader.
#include <catch2/catch.hpp>

#include "config/map_reader.h"
#include "config/yaml_loader.h"
#include "test_util.h"

using namespace attnlab::cfg;
using attnlab::cfg::testing::error_of;

TEST_CASE("MapReader reads typed values and falls back on absent or null keys", "[config][map_reader]") {
  const Node root = parse_yaml(
      "model:\n  d_model: 128\n  lr: 3e-4\n  tied: True\n  name: tiny\n  layers: [0, -3]\n  absent_null: ~\n"
      "  ratio: 2\n",
      "configs/model/tiny.yaml");
  MapReader reader(*root.find("model"), "model");
  CHECK(reader.integer("d_model", 0) == 128);
  CHECK(reader.number("lr", 0) == Approx(3e-4));
  CHECK(reader.number("ratio", 0) == 2.0);
  CHECK(reader.boolean("tied", false));
  CHECK(reader.string("name", "") == "tiny");
  CHECK(reader.integer_list("layers", {}) == std::vector<int64_t>{0, -3});
  CHECK(reader.integer("absent_null", 7) == 7);
  CHECK(reader.integer("n_heads", 4) == 4);
  CHECK_FALSE(reader.optional_string("vocab").has_value());
  CHECK_NOTHROW(reader.finish());
}

TEST_CASE("MapReader type errors name file:line:col, key path and the value", "[config][map_reader]") {
  const Node root = parse_yaml("model:\n  x: 1\n  d_model: abc\n  quoted: \"1\"\n  flag: yes\n  list: [1, b]\n",
                               "configs/model/tiny.yaml");
  MapReader reader(*root.find("model"), "model");
  CHECK(error_of([&] { reader.integer("d_model", 0); }) ==
        "configs/model/tiny.yaml:3:12: model.d_model: expected an integer, got 'abc'");
  CHECK(error_of([&] { reader.integer("quoted", 0); }) ==
        "configs/model/tiny.yaml:4:11: model.quoted: expected an integer, got the quoted string \"1\"");
  CHECK(error_of([&] { reader.boolean("flag", false); }) ==
        "configs/model/tiny.yaml:5:9: model.flag: expected true or false, got 'yes'");
  CHECK(error_of([&] { reader.integer_list("list", {}); }) ==
        "configs/model/tiny.yaml:6:13: model.list.1: expected an integer, got 'b'");
  CHECK(error_of([&] { reader.number("d_model", 0); }) ==
        "configs/model/tiny.yaml:3:12: model.d_model: expected a number, got 'abc'");
  CHECK(error_of([&] { reader.string("list", ""); }) ==
        "configs/model/tiny.yaml:6:9: model.list: expected a string, got a list");
}

TEST_CASE("MapReader integers are decimal only", "[config][map_reader]") {
  const Node root = parse_yaml("a: 1.0\nb: 1e3\nc: +7\nd: 99999999999999999999\n", "i.yaml");
  MapReader reader(root, "");
  CHECK(error_of([&] { reader.integer("a", 0); }) == "i.yaml:1:4: a: expected an integer, got '1.0'");
  CHECK(error_of([&] { reader.integer("b", 0); }) == "i.yaml:2:4: b: expected an integer, got '1e3'");
  CHECK(reader.integer("c", 0) == 7);
  CHECK(error_of([&] { reader.integer("d", 0); }).find("expected an integer") != std::string::npos);
}

TEST_CASE("MapReader::finish reports the first unknown key with the closest known one", "[config][map_reader]") {
  const Node root = parse_yaml("model:\n  d_model: 1\n  d_modle: 2\n", "experiments/x.yaml");
  MapReader reader(*root.find("model"), "model");
  reader.integer("d_model", 0);
  reader.integer("n_heads", 0);
  CHECK(error_of([&] { reader.finish(); }) ==
        "experiments/x.yaml:3:12: unknown key 'model.d_modle' (did you mean 'd_model'?)");
}

TEST_CASE("MapReader::choice lists the choices and the closest match", "[config][map_reader]") {
  const Node root = parse_yaml("form: softmx\n", "m.yaml");
  MapReader reader(root, "mixer");
  CHECK(error_of([&] { reader.choice("form", "softmax", {"softmax", "linear", "taylor"}); }) ==
        "m.yaml:1:7: mixer.form: unknown value 'softmx' (did you mean 'softmax'?) — expected one of: softmax, "
        "linear, taylor");
}

TEST_CASE("MapReader: a list where a map is expected, and command-line sources", "[config][map_reader]") {
  const Node root = parse_yaml("model: [1, 2]\n", "c.yaml");
  CHECK(error_of([&] { MapReader(*root.find("model"), "model"); }) == "c.yaml:1:8: model: expected a map, got a list");
  Node cli = Node::map({"command line", 0, 0});
  cli["d_model"] = Node::scalar("abc", {"command line", 0, 0});
  MapReader reader(cli, "model");
  CHECK(error_of([&] { reader.integer("d_model", 0); }) == "command line: model.d_model: expected an integer, got 'abc'");
  CHECK(error_of([&] { fail_at(Source{}, "plain message"); }) == "plain message");
}
