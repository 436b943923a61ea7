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

TEST_CASE("every layer pattern on 4, 6 and 12 layers", "[layer_plan]") {
  struct Case {
    std::string pattern;
    V l4, l6, l12;
  };
  const std::vector<Case> cases = {
      {"even", {0, 2}, {0, 2, 4}, {0, 2, 4, 6, 8, 10}},
      {"odd", {1, 3}, {1, 3, 5}, {1, 3, 5, 7, 9, 11}},
      {"none", {}, {}, {}},
      {"first", {0}, {0}, {0}},
      {"last", {3}, {5}, {11}},
      {"ends", {0, 3}, {0, 5}, {0, 11}},
      {"every:2", {1, 3}, {1, 3, 5}, {1, 3, 5, 7, 9, 11}},
      {"every:3", {2}, {2, 5}, {2, 5, 8, 11}},
      {"top:2", {2, 3}, {4, 5}, {10, 11}},
      {"bottom:2", {0, 1}, {0, 1}, {0, 1}},
      {"middle:2", {1, 2}, {2, 3}, {5, 6}},
      {"middle:3", {0, 1, 2}, {1, 2, 3}, {4, 5, 6}},
  };
  for (const auto& c : cases) {
    INFO("pattern " << c.pattern);
    CHECK(select(c.pattern, 4) == c.l4);
    CHECK(select(c.pattern, 6) == c.l6);
    CHECK(select(c.pattern, 12) == c.l12);
  }
  CHECK(LayerPlan::select_layers(index_list({3, 0}), 4, "hybrid.layers") == V{0, 3});
  CHECK(LayerPlan::select_layers(index_list({1, 4}), 6, "hybrid.layers") == V{1, 4});
  CHECK(LayerPlan::select_layers(index_list({11, 0, 5}), 12, "hybrid.layers") == V{0, 5, 11});
  CHECK(select("top:12", 12) == select("bottom:12", 12));
}

TEST_CASE("bad layer patterns on 6 and 12 layers", "[layer_plan]") {
  CHECK(error_of([] { select("top:7", 6); }).find("must be in [1, 6]") != std::string::npos);
  CHECK(error_of([] { select("middle:13", 12); }).find("must be in [1, 12]") != std::string::npos);
  CHECK(error_of([] { select("every:x", 12); }).find("expected a layer index, got 'x'") != std::string::npos);
  CHECK(error_of([] { select("bottom:-1", 12); }).find("must be in [1, 12]") != std::string::npos);
  CHECK(error_of([] { select("middel:2", 6); }).find("(did you mean 'middle'?)") != std::string::npos);
  CHECK(error_of([] { LayerPlan::select_layers(index_list({-1}), 6, "hybrid.layers"); })
            .find("layer -1 out of range [0, 6)") != std::string::npos);
  CHECK(error_of([] { LayerPlan::select_layers(index_list({12}), 12, "hybrid.layers"); })
            .find("layer 12 out of range [0, 12)") != std::string::npos);
  CHECK(error_of([] { LayerPlan::select_layers(index_list({5, 2, 5}), 12, "hybrid.layers"); })
            .find("layer 5 listed twice") != std::string::npos);
  cfg::Node nested = cfg::Node::sequence();
  nested.push_back(index_list({1}));
  CHECK(error_of([&] { LayerPlan::select_layers(nested, 6, "hybrid.layers"); }).find("expected a layer index") !=
        std::string::npos);
  CHECK(error_of([] { LayerPlan::select_layers(cfg::Node::map(), 6, "hybrid.layers"); })
            .find("expected a layer pattern, got a map") != std::string::npos);
}

TEST_CASE("the plan summary shows the form and a non-current qk source", "[layer_plan]") {
  cfg::Node variant = cfg::Node::map();
  variant["name"] = cfg::Node::scalar("attention");
  variant["form"] = cfg::Node::scalar("taylor");
  cfg::Node hybrid = cfg::Node::map();
  cfg::Node standard = cfg::Node::map();
  standard["name"] = cfg::Node::scalar("softmax");
  standard["qk_source"] = cfg::Node::scalar("current");
  hybrid["mixer"] = standard;
  hybrid["layers"] = cfg::Node::scalar("ends");
  CHECK(LayerPlan::from_config(variant, hybrid, 4).summary() ==
        "0:softmax 1:attention(taylor) 2:attention(taylor) 3:softmax");

  cfg::Node stream = cfg::Node::map();
  stream["name"] = cfg::Node::scalar("attention");
  stream["form"] = cfg::Node::scalar("softmax");
  stream["qk_source"] = cfg::Node::scalar("random_stream");
  cfg::Node static_emb = cfg::Node::map();
  static_emb["name"] = cfg::Node::scalar("softmax");
  static_emb["qk_source"] = cfg::Node::scalar("static_emb");
  cfg::Node odd = cfg::Node::map();
  odd["mixer"] = static_emb;
  odd["layers"] = cfg::Node::scalar("odd");
  CHECK(LayerPlan::from_config(stream, odd, 2).summary() ==
        "0:attention(softmax, qk=random_stream) 1:softmax(qk=static_emb)");
}

TEST_CASE("hybrid layers: none keeps the uniform plan", "[layer_plan]") {
  cfg::Node hybrid = cfg::Node::map();
  hybrid["mixer"] = cfg::Node::scalar("softmax");
  hybrid["layers"] = cfg::Node::scalar("none");
  LayerPlan plan = LayerPlan::from_config(cfg::Node::scalar("taylor"), hybrid, 4);
  CHECK(!plan.is_hybrid());
  CHECK(plan.summary() == "0:taylor 1:taylor 2:taylor 3:taylor");
  CHECK(error_of([] { select("none:2", 4); }).find("takes no count") != std::string::npos);
}
