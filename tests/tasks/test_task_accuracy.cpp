// The evaluator's task metrics (accuracy, answer loss, per-slice accuracy) against a naive loop
// over examples and positions.
#include <cmath>

#include <torch/optim/adamw.h>

#include "support/catch.h"
#include "support/tiny_model.h"
#include "task_test_util.h"
#include "train/evaluator.h"

using namespace attnlab;

TEST_CASE("accuracy, answer loss and slice accuracy equal a naive per-position loop", "[accuracy]") {
  for (const char* loss : {"answers", "all"}) {
    auto d = testing::task_dataset(std::string("name: mqar\nvocab_size: 50\nseq_len: 32\nnum_kv_pairs: 4\npower_a: 1\n"
                                               "test_examples: 150\nloss: ") + loss);
    const data::EvalSet set = d->eval_set(0, 0);
    TransformerLM model = testing::tiny_model("softmax", 3);
    {  // a few steps on the training set, so that the model puts its guesses on values and hits some
      torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(3e-3));
      for (int64_t step = 0; step < 60; ++step) {
        auto [x, y] = d->train_batch(32, 32, 5, step);
        auto logits = model->forward(x).logits;
        auto loss = torch::nn::functional::cross_entropy(logits.reshape({-1, 50}), y.reshape(-1));
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
      }
    }
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
}
