#include <catch2/catch.hpp>

#include "config/node.h"
#include "config/override.h"
#include "config/yaml_loader.h"
#include "data/corpus.h"
#include "data_test_util.h"

using namespace attnlab;
using attnlab::data::DataOptions;
using attnlab::data::test::user_error_of;

namespace {
cfg::Node data_node(std::initializer_list<std::pair<const char*, const char*>> entries) {
  cfg::Node node = cfg::Node::map(cfg::Source{"data.yaml", 1, 1});
  int line = 2;
  for (const auto& [key, value] : entries) node[key] = cfg::Node::scalar(value, cfg::Source{"data.yaml", line++, 3});
  return node;
}
}  // namespace

TEST_CASE("data options: defaults and strict reading", "[data][config]") {
  const DataOptions defaults = DataOptions::from_config(cfg::Node());
  CHECK(defaults.corpus == "moby_dick");
  CHECK(defaults.tokenizer == "char");
  CHECK(defaults.vocab_size == 2048);
  CHECK(defaults.train_fraction == Approx(0.9));

  const DataOptions o = DataOptions::from_config(
      data_node({{"corpus", "sotu"}, {"tokenizer", "bpe"}, {"vocab_size", "512"}, {"root", "/tmp/x"},
                 {"train_fraction", "0.8"}, {"path", "a.txt"}}));
  CHECK(o.corpus == "sotu");
  CHECK(o.tokenizer == "bpe");
  CHECK(o.vocab_size == 512);
  CHECK(o.root == "/tmp/x");
  CHECK(o.path == std::vector<std::string>{"a.txt"});
  CHECK(o.train_fraction == Approx(0.8));
}

TEST_CASE("data options: bad values are one-line errors with a location", "[data][config]") {
  CHECK_THAT(user_error_of([] { DataOptions::from_config(data_node({{"vocab_sise", "10"}})); }),
             Catch::Contains("vocab_size"));
  CHECK_THAT(user_error_of([] { DataOptions::from_config(data_node({{"corpus", "kvj"}})); }),
             Catch::Contains("kjv"));
  CHECK_THAT(user_error_of([] { DataOptions::from_config(data_node({{"tokenizer", "bpee"}})); }),
             Catch::Contains("bpe"));
  CHECK_THAT(user_error_of([] { DataOptions::from_config(data_node({{"vocab_size", "big"}})); }),
             Catch::Contains("data.yaml:2"));
  CHECK_THAT(user_error_of([] { DataOptions::from_config(data_node({{"train_fraction", "1.5"}})); }),
             Catch::Contains("data.yaml:2") && Catch::Contains("train_fraction"));
}

TEST_CASE("data options: data.path is a string or a list of strings", "[data][config]") {
  const DataOptions listed = DataOptions::from_config(cfg::parse_yaml("path: [web/*.txt, books, extra.txt]\n", "data.yaml"));
  CHECK(listed.path == std::vector<std::string>{"web/*.txt", "books", "extra.txt"});
  cfg::Node node = cfg::Node::map(cfg::Source{"data.yaml", 1, 1});
  node["path"] = cfg::parse_override_value("[a/*.txt,b]", "data.path");  // the command line's data.path=[a/*.txt,b]
  CHECK(DataOptions::from_config(node).path == std::vector<std::string>{"a/*.txt", "b"});
  CHECK(user_error_of([] { DataOptions::from_config(cfg::parse_yaml("path: {a: 1}\n", "data.yaml")); }) ==
        "data.yaml:1:7: data.path: expected a string or a list of strings, got a map");
  CHECK(user_error_of([] { DataOptions::from_config(cfg::parse_yaml("path: [a.txt, [b]]\n", "data.yaml")); }) ==
        "data.yaml:1:15: data.path.1: expected a string, got a list");
  CHECK(DataOptions::from_config(cfg::parse_yaml("path: \"\"\n", "data.yaml")).path.empty());  // the configs' "not set"
  CHECK(user_error_of([] { DataOptions::from_config(cfg::parse_yaml("path: [a.txt, \"\"]\n", "data.yaml")); }) ==
        "data.yaml:1:7: data.path.1: an empty path");
}
