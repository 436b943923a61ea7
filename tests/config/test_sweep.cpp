// Multirun expansion.
#include <catch2/catch.hpp>

#include "config/sweep.h"
#include "config/yaml_loader.h"
#include "test_util.h"

using namespace attnlab::cfg;
using attnlab::cfg::testing::error_of;

namespace {
std::vector<std::string> names(const std::vector<Job>& jobs) {
  std::vector<std::string> out;
  for (const auto& job : jobs) out.push_back(job.name);
  return out;
}
}  // namespace

TEST_CASE("expand_jobs: no axes is one unnamed job with the overrides", "[config][sweep]") {
  const auto jobs = expand_jobs({"model=small", "train.lr=0.1"}, Node(), false);
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].name.empty());
  CHECK(jobs[0].overrides == std::vector<std::string>{"model=small", "train.lr=0.1"});
}

TEST_CASE("expand_jobs: -m comma lists and range() make a cartesian product, last axis fastest", "[config][sweep]") {
  const auto jobs = expand_jobs({"mixer=softmax,taylor", "train.steps=10", "seed=range(0,2)"}, Node(), true);
  CHECK(names(jobs) == std::vector<std::string>{"mixer=softmax,seed=0", "mixer=softmax,seed=1", "mixer=taylor,seed=0",
                                                "mixer=taylor,seed=1"});
  CHECK(jobs[2].overrides == std::vector<std::string>{"mixer=taylor", "train.steps=10", "seed=0"});
}

TEST_CASE("expand_jobs: without -m a comma list is an error suggesting -m; quoted commas are fine", "[config][sweep][errors]") {
  CHECK(error_of([] { expand_jobs({"mixer=softmax,taylor"}, Node(), false); }) ==
        "command line: mixer=softmax,taylor: comma-separated values or range() make a sweep; did you forget -m? "
        "(quote the value for a literal comma: key='a,b')");
  CHECK(error_of([] { expand_jobs({"seed=range(0,3)"}, Node(), false); }).find("did you forget -m?") != std::string::npos);
  const auto jobs = expand_jobs({"name='a,b'"}, Node(), false);
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].overrides == std::vector<std::string>{"name='a,b'"});
}

TEST_CASE("expand_jobs: the experiment's sweep block always expands; file axes first", "[config][sweep]") {
  const Node sweep = parse_yaml("mixer: [softmax, taylor]\ntrain.lr: 0.1,0.2\nseed: range(0,1)\nname: ['a,b']\n", "s.yaml");
  const auto jobs = expand_jobs({"+eval.x=1,2"}, sweep, true);
  REQUIRE(jobs.size() == 8);
  CHECK(jobs[0].name == "mixer=softmax,train.lr=0.1,seed=0,name=_a,b_,+eval.x=1");
  CHECK(jobs[0].overrides == std::vector<std::string>{"mixer=softmax", "train.lr=0.1", "seed=0", "name='a,b'", "+eval.x=1"});
  CHECK(expand_jobs({}, sweep, false).size() == 4);
}

TEST_CASE("expand_jobs: a command-line override of a swept key replaces the axis", "[config][sweep]") {
  const Node sweep = parse_yaml("mixer: [softmax, taylor, mlp]\nseed: [0, 1]\n", "s.yaml");
  const auto fixed = expand_jobs({"mixer=mlp"}, sweep, false);
  CHECK(names(fixed) == std::vector<std::string>{"seed=0", "seed=1"});
  CHECK(fixed[1].overrides == std::vector<std::string>{"seed=1", "mixer=mlp"});
  const auto swept = expand_jobs({"mixer=taylor,mlp"}, sweep, true);
  CHECK(names(swept) == std::vector<std::string>{"mixer=taylor,seed=0", "mixer=taylor,seed=1", "mixer=mlp,seed=0",
                                                 "mixer=mlp,seed=1"});
  CHECK(swept[0].overrides == std::vector<std::string>{"seed=0", "mixer=taylor"});
}

TEST_CASE("expand_jobs: job names are filesystem-safe and unique", "[config][sweep]") {
  const auto jobs = expand_jobs({"data.path=/tmp/a.txt,/tmp/a_txt"}, Node(), true);
  CHECK(names(jobs) == std::vector<std::string>{"data.path=_tmp_a.txt", "data.path=_tmp_a_txt"});
  const auto clash = expand_jobs({"x=a/b,a_b"}, Node(), true);
  CHECK(names(clash) == std::vector<std::string>{"x=a_b", "x=a_b_2"});
  CHECK(safe_dir_name("..x y/z*") == "_.x_y_z_");
}

TEST_CASE("expand_jobs: malformed sweep blocks are located errors", "[config][sweep][errors]") {
  CHECK(error_of([] { expand_jobs({}, parse_yaml("- a\n", "s.yaml"), false); }) ==
        "s.yaml:1:1: sweep: expected a map of key: values, got a list");
  CHECK(error_of([] { expand_jobs({}, parse_yaml("seed: []\n", "s.yaml"), false); }) ==
        "s.yaml:1:7: sweep: seed: no values to sweep");
  CHECK(error_of([] { expand_jobs({}, parse_yaml("seed: range(2,1)\n", "s.yaml"), false); }) ==
        "s.yaml:1:7: bad override 'seed=range(2,1)': range(...) is empty");
  CHECK(error_of([] { expand_jobs({}, parse_yaml("seed: {a: 1}\n", "s.yaml"), false); }) ==
        "s.yaml:1:7: sweep: seed: expected a list of values, a comma list or range(...), got a map");
}
