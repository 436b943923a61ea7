// Reading mixer maps strictly, the registry of mixers and forms, and the traits each variant reports.
#include <functional>

#include "config/yaml_loader.h"
#include "core/error.h"
#include "mixers/attention.h"
#include "model/layer_plan.h"
#include "qk_sources/random_stream_qk.h"
#include "registry.h"
#include "support/catch.h"

using namespace attnlab;

namespace {

TokenMixerPtr build(const std::string& yaml) {
  register_builtin_variants();
  const cfg::Node spec = cfg::parse_yaml(yaml, "mixer.yaml");
  MixerContext context{spec, "mixer", 32, 4, 2, 0, 10000.0};
  return mixer_registry().get(mixer_name(spec))(context);
}

std::string error_of(const std::string& yaml) {
  try {
    build(yaml);
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("every form is registered as a mixer and as an attention form", "[mixer_config]") {
  register_builtin_variants();
  const std::vector<std::string> forms = {"elu1", "linear", "nonapprox", "relu", "sigmoid", "softmax", "taylor"};
  CHECK(attention_form_registry().names() == forms);
  for (const auto& name : forms) CHECK(mixer_registry().contains(name));
  for (const char* name : {"attention", "mlp", "uniform"}) CHECK(mixer_registry().contains(name));
  CHECK(mixer_registry().description("softmax") ==
        "causal multi-head softmax attention with RoPE (the standard baseline)");
}

TEST_CASE("mixer options are read strictly, with file:line errors", "[mixer_config]") {
  CHECK(error_of("{name: attention, form: tayler}").find("(did you mean 'taylor'?)") != std::string::npos);
  CHECK(error_of("name: attention\nform: taylor\nnormalize: sum\n") ==
        "mixer.yaml:3:12: unknown key 'mixer.normalize'");
  CHECK(error_of("{name: taylor, form: relu}").find("unknown key 'mixer.form'") != std::string::npos);
  CHECK(error_of("name: linear\neps: abc\n").find("mixer.yaml:2:6: mixer.eps: expected a number") !=
        std::string::npos);
  CHECK(error_of("{name: linear, eps: 0}").find("mixer.eps: must be > 0") != std::string::npos);
  CHECK(error_of("{name: relu, normalize: abs_sum}").find("mixer.normalize") != std::string::npos);
  CHECK(error_of("{name: softmax, qk_source: random}").find("mixer.qk_source") != std::string::npos);
  // a source's options belong to it: stream_std without random_stream is an unknown key
  CHECK(error_of("{name: softmax, stream_std: 0.1}").find("unknown key 'mixer.stream_std'") != std::string::npos);
  CHECK(error_of("{name: softmax, qk_source: static_emb, stream_seed: 1}").find("unknown key 'mixer.stream_seed'") !=
        std::string::npos);
  CHECK(error_of("{name: softmax, qk_source: random_stream, stream_std: -1}").find("must be > 0") !=
        std::string::npos);
  CHECK(error_of("{name: mlp, hidden: x}").find("mixer.hidden: expected an integer") != std::string::npos);
  CHECK(error_of("{name: uniform, form: softmax}").find("unknown key 'mixer.form'") != std::string::npos);
  CHECK(error_of("{name: softmx}").find("unknown mixer 'softmx' (did you mean 'softmax'?)") != std::string::npos);
  CHECK(error_of("{name: attention, form: sigmoid, normalize: none, eps: 1e-4, qk_source: static_emb}").empty());
}

TEST_CASE("mixer traits tell what each variant does", "[mixer_config]") {
  struct Expected {
    std::string yaml;
    bool mixes, kv, weights, recurrent, standard;
  };
  const std::vector<Expected> cases = {
      {"name: softmax", true, true, true, false, true},
      {"{name: attention, form: softmax, qk_source: current}", true, true, true, false, true},
      {"{name: softmax, qk_source: static_emb}", true, true, true, false, false},
      {"{name: softmax, qk_source: random_stream}", true, true, true, false, false},
      {"{name: softmax, qk_source: fixed_stream}", true, true, true, false, false},
      {"name: linear", true, true, true, false, false},
      {"name: relu", true, true, true, false, false},
      {"name: sigmoid", true, true, true, false, false},
      {"name: elu1", true, false, false, true, false},
      {"name: taylor", true, false, false, true, false},
      {"name: nonapprox", true, false, false, true, false},
      {"name: uniform", true, false, false, true, false},
      {"name: mlp", false, false, false, false, false},
  };
  for (const auto& c : cases) {
    INFO(c.yaml);
    const MixerTraits t = build(c.yaml)->traits();
    CHECK(t.mixes_tokens == c.mixes);
    CHECK(t.has_kv_cache == c.kv);
    CHECK(t.has_weights == c.weights);
    CHECK(t.recurrent_state == c.recurrent);
    CHECK(t.is_standard == c.standard);
  }
  auto random = [&](const std::string& yaml) {
    auto source = std::dynamic_pointer_cast<RandomStreamQK>(build(yaml)->qk_source());
    REQUIRE(source);
    return source;
  };
  CHECK(random("{name: softmax, qk_source: random_stream, stream_std: 0.3, stream_seed: 5}")->stream_seed() == 5);
  CHECK(random("{name: softmax, qk_source: random_stream, stream_std: 0.3}")->stream_std() == 0.3);
  CHECK(build("name: uniform")->qk_source() == nullptr);
  CHECK(build("{name: softmax, qk_source: current}")->qk_source() == nullptr);
}

TEST_CASE("the softmax parameters keep their names", "[mixer_config]") {
  auto params = build("name: softmax")->named_parameters();
  REQUIRE(params.size() == 2);
  CHECK(params["qkv_proj.weight"].sizes() == torch::IntArrayRef({96, 32}));
  CHECK(params["out_proj.weight"].sizes() == torch::IntArrayRef({32, 32}));
  CHECK(build("name: mlp")->named_parameters().contains("out_proj.weight"));
  CHECK(build("name: uniform")->named_parameters().contains("out_proj.weight"));
}
