// The evaluator's task metrics (accuracy, answer loss, per-slice accuracy) against a naive loop
// over examples and positions.
#include <cmath>

#include <torch/optim/adamw.h>

#include "support/catch.h"
#include "support/tiny_model.h"
#include "config/yaml_loader.h"
#include "data/ar_hits.h"
#include "studies/budget_eval.h"
#include "infer/decoder.h"
#include "task_test_util.h"
#include "train/evaluator.h"
#include "registry.h"

using namespace attnlab;

namespace {
/// A few steps on a task's training set (vocabulary 50, L 32), so that the model puts its guesses
/// on values and hits some: comparisons of accuracies are then not 0 == 0.
void train_briefly(TransformerLM& model, const data::Dataset& d) {
  torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(3e-3));
  for (int64_t step = 0; step < 60; ++step) {
    auto [x, y] = d.train_batch(32, 32, 5, step);
    auto logits = model->forward(x).logits;
    auto loss = torch::nn::functional::cross_entropy(logits.reshape({-1, 50}), y.reshape(-1));
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
  }
}
}  // namespace

TEST_CASE("accuracy, answer loss and slice accuracy equal a naive per-position loop", "[accuracy]") {
  for (const char* loss : {"answers", "all"}) {
    auto d = testing::task_dataset(std::string("name: mqar\nvocab_size: 50\nseq_len: 32\nnum_kv_pairs: 4\npower_a: 1\n"
                                               "test_examples: 150\nloss: ") + loss);
    const data::EvalSet set = d->eval_set(0, 0);
    TransformerLM model = testing::tiny_model("softmax", 3);
    train_briefly(model, *d);
    const EvalResult r = evaluate_set(model, set, 16);

    torch::NoGradGuard no_grad;
    model->eval();
    const auto n_slices = static_cast<int64_t>(set.slice_names.size());
    REQUIRE(n_slices == 2);  // dist 1-15, 16-31
    std::vector<int64_t> hits(n_slices), answers(n_slices);
    double answer_nll = 0, target_nll = 0;
    int64_t targets = 0;
    for (int64_t i = 0; i < set.x.size(0); ++i) {
      const auto e = d->example(1, i);
      auto logp = torch::log_softmax(model->forward(set.x[i].unsqueeze(0)).logits[0], -1);  // [T, V]
      for (int64_t t = 0; t < 32; ++t) {
        const int64_t target = set.y[i][t].item<int64_t>();
        if (target != data::kIgnore) target_nll -= logp[t][target].item<double>(), ++targets;
        if (e.labels[t] == data::kIgnore) continue;
        const int64_t s = e.slices[t];
        ++answers[s];
        hits[s] += logp[t].argmax().item<int64_t>() == e.labels[t];
        answer_nll -= logp[t][e.labels[t]].item<double>();
      }
    }
    const int64_t all_hits = hits[0] + hits[1], all_answers = answers[0] + answers[1];
    CHECK(all_answers == 600);
    CHECK(all_hits > 0);  // a random model guesses some: the comparison below is not 0 == 0
    CHECK(r.answers == all_answers);
    CHECK(r.accuracy == Approx(static_cast<double>(all_hits) / all_answers).epsilon(1e-12));
    CHECK(r.answer_loss == Approx(answer_nll / all_answers).epsilon(1e-5));
    CHECK(r.tokens == targets);
    CHECK(r.loss == Approx(target_nll / targets).epsilon(1e-5));
    for (int64_t s = 0; s < n_slices; ++s) {
      CHECK(r.slice_answers[s] == answers[s]);
      CHECK(r.slice_accuracy[s] == Approx(static_cast<double>(hits[s]) / answers[s]).epsilon(1e-12));
    }
  }
}

TEST_CASE("text evaluation has no task metrics and scores every position", "[accuracy]") {
  TransformerLM model = testing::tiny_model("softmax", 3);
  auto x = torch::randint(50, {6, 32}, torch::kInt64), y = torch::randint(50, {6, 32}, torch::kInt64);
  const EvalResult r = evaluate_windows(model, x, y, 4, 1.0);
  CHECK(r.tokens == 6 * 32);
  CHECK(std::isnan(r.accuracy));
  CHECK(std::isnan(r.answer_loss));
  CHECK(r.slice_accuracy.empty());
  CHECK(std::isnan(r.ar_hit_loss));  // no AR-hit mask given
}

TEST_CASE("text evaluation splits the loss into AR hits and other tokens as a naive loop does", "[accuracy]") {
  TransformerLM model = testing::tiny_model("softmax", 3);
  torch::manual_seed(11);
  auto tokens = torch::randint(6, {6, 33}, torch::kInt64);  // a small alphabet: many repeated bigrams
  data::EvalSet set;
  set.x = tokens.narrow(1, 0, 32).contiguous(), set.y = tokens.narrow(1, 1, 32).contiguous();
  set.ar_hits = data::ar_hit_mask(set.x, set.y);
  const EvalResult r = evaluate_set(model, set, 4);
  const EvalResult plain = evaluate_windows(model, set.x, set.y, 4, 1.0);
  CHECK(r.loss == plain.loss);  // the split leaves the overall loss bit-identical

  torch::NoGradGuard no_grad;
  model->eval();
  double hit_nll = 0, other_nll = 0;
  int64_t hits = 0;
  for (int64_t i = 0; i < 6; ++i) {
    auto logp = torch::log_softmax(model->forward(set.x[i].unsqueeze(0)).logits[0], -1);  // [T, V]
    for (int64_t t = 0; t < 32; ++t) {
      const double nll = -logp[t][set.y[i][t].item<int64_t>()].item<double>();
      if (set.ar_hits[i][t].item<bool>()) hit_nll += nll, ++hits;
      else other_nll += nll;
    }
  }
  REQUIRE(hits > 20);
  REQUIRE(hits < 6 * 32 - 20);
  CHECK(r.ar_hit_share == Approx(static_cast<double>(hits) / (6 * 32)).epsilon(1e-12));
  CHECK(r.ar_hit_loss == Approx(hit_nll / hits).epsilon(1e-5));
  CHECK(r.other_loss == Approx(other_nll / (6 * 32 - hits)).epsilon(1e-5));
}

TEST_CASE("budgeted decoding scores a task: the full cache equals the parallel eval, a budget counts as a naive loop", "[accuracy][budget]") {
  register_builtin_variants();
  auto d = testing::task_dataset("name: mqar\nvocab_size: 50\nseq_len: 32\nnum_kv_pairs: 4\ntest_examples: 30\nloss: answers");
  const data::EvalSet set = d->eval_set(0, 0);
  TransformerLM model = testing::tiny_model("softmax", 4);
  train_briefly(model, *d);
  const EvalResult parallel = evaluate_set(model, set, 7);
  const BudgetEvalResult full =
      evaluate_budget(model, set, 7, CacheConfig::from_config(cfg::parse_yaml("{name: full}", "t.yaml")));
  CHECK(full.tokens == parallel.tokens);  // only the loss targets count
  CHECK(std::abs(full.loss - parallel.loss) < 1e-5);
  CHECK(full.answers == parallel.answers);
  CHECK(full.accuracy == Approx(parallel.accuracy).margin(1e-12));

  // under eviction: argmax == label at the scored positions of every step, counted by hand
  const CacheConfig window = CacheConfig::from_config(cfg::parse_yaml("{name: window, ratio: 4}", "t.yaml"));
  const BudgetEvalResult r = evaluate_budget(model, set, 7, window);
  torch::NoGradGuard no_grad;
  int64_t hits = 0, answers = 0;
  Decoder decoder(model, window.policy, window.layer_budgets(model->n_layers(), 32));
  for (int64_t t = 0; t < 32; ++t) {
    auto logits = decoder.step(set.x.narrow(1, t, 1));  // all 30 examples at once
    for (int64_t i = 0; i < 30; ++i) {
      const int64_t label = set.labels[i][t].item<int64_t>();
      if (label == data::kIgnore) continue;
      ++answers;
      hits += logits[i].argmax().item<int64_t>() == label;
    }
  }
  CHECK(hits > 0);
  CHECK(r.answers == answers);
  CHECK(r.accuracy == Approx(static_cast<double>(hits) / answers).margin(1e-12));
  CHECK(r.ratio == 4.0);
}
