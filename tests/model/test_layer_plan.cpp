#include <functional>

#include "core/error.h"
#include "model/layer_plan.h"
#include "support/catch.h"

using namespace attnlab;

namespace {

std::vector<int64_t> select(const std::string& pattern, int64_t n_layers) {
  return LayerPlan::select_layers(cfg::Node::scalar(pattern), n_layers, "hybrid.layers");
}

cfg::Node index_list(std::initializer_list<int> items) {
  cfg::Node list = cfg::Node::sequence();
  for (int i : items) list.push_back(cfg::Node::scalar(std::to_string(i)));
  return list;
}

std::string error_of(const std::function<void()>& body) {
  try {
    body();
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

using V = std::vector<int64_t>;

}  // namespace

TEST_CASE("layer patterns select the documented layers", "[layer_plan]") {
  CHECK(select("even", 4) == V{0, 2});
  CHECK(select("odd", 6) == V{1, 3, 5});
  CHECK(select("first", 6) == V{0});
  CHECK(select("last", 12) == V{11});
  CHECK(select("ends", 6) == V{0, 5});
  CHECK(select("every:4", 12) == V{3, 7, 11});
  CHECK(select("every:2", 4) == V{1, 3});
  CHECK(select("top:2", 6) == V{4, 5});
  CHECK(select("bottom:3", 12) == V{0, 1, 2});
  CHECK(select("middle:2", 6) == V{2, 3});
  CHECK(select("middle:2", 4) == V{1, 2});
  CHECK(select("middle:4", 12) == V{4, 5, 6, 7});
  CHECK(select("even", 12) == V{0, 2, 4, 6, 8, 10});
  CHECK(LayerPlan::select_layers(index_list({3, 0}), 4, "hybrid.layers") == V{0, 3});
}

TEST_CASE("invalid layer patterns are user errors", "[layer_plan]") {
  CHECK(error_of([] { select("evn", 4); }).find("unknown layer pattern 'evn' (did you mean 'even'?)") != std::string::npos);
  CHECK(error_of([] { select("top", 4); }).find("needs a count") != std::string::npos);
  CHECK(error_of([] { select("top:5", 4); }).find("must be in [1, 4]") != std::string::npos);
  CHECK(error_of([] { select("every:0", 4); }).find("must be in [1, 4]") != std::string::npos);
  CHECK(error_of([] { select("even:2", 4); }).find("takes no count") != std::string::npos);
  CHECK(error_of([] { LayerPlan::select_layers(index_list({0, 4}), 4, "hybrid.layers"); })
            .find("layer 4 out of range [0, 4)") != std::string::npos);
  CHECK(error_of([] { LayerPlan::select_layers(index_list({1, 1}), 4, "hybrid.layers"); })
            .find("layer 1 listed twice") != std::string::npos);
}

TEST_CASE("a hybrid plan puts the hybrid mixer in the selected layers", "[layer_plan]") {
  cfg::Node hybrid = cfg::Node::map();
  hybrid["mixer"] = cfg::Node::scalar("softmax");
  hybrid["layers"] = cfg::Node::scalar("even");
  LayerPlan plan = LayerPlan::from_config(cfg::Node::scalar("taylor"), hybrid, 4);
  CHECK(plan.is_hybrid());
  CHECK(plan.summary() == "0:softmax 1:taylor 2:softmax 3:taylor");
  CHECK(plan.layers()[0].from_hybrid);
  CHECK(plan.layers()[0].mixer.find("name")->text() == "softmax");  // bare names become {name: ...}

  LayerPlan uniform = LayerPlan::from_config(cfg::Node::scalar("softmax"), cfg::Node(), 3);
  CHECK(!uniform.is_hybrid());
  CHECK(uniform.summary() == "0:softmax 1:softmax 2:softmax");

  cfg::Node incomplete = cfg::Node::map();
  incomplete["mixer"] = cfg::Node::scalar("softmax");
  CHECK(error_of([&] { LayerPlan::from_config(cfg::Node::scalar("x"), incomplete, 4); })
            .find("missing key 'hybrid.layers'") != std::string::npos);
}
