// The planner's estimate (run/plan.h) against counts taken from a real model.
#include "run/plan.h"
#include "support/catch.h"
#include "support/tiny_model.h"

using namespace attnlab;

TEST_CASE("the plan counts the model's parameters and its matmul FLOPs", "[plan]") {
  TransformerLM model = testing::tiny_model("softmax", 1);
  ModelOptions options = model->options();
  int64_t all = 0, matrices = 0;
  for (const auto& p : model->parameters()) {
    all += p.numel();
    if (p.dim() == 2) matrices += p.numel();  // every projection, and the tied embedding as the head
  }
  const int64_t T = 24;
  const TrainingEstimate e = estimate_training(options, model->parameter_count(), 8, 1, T);
  CHECK(e.params == all);
  // norm gains are counted as multiplied (a vector per layer): within 1% of the matrices alone
  CHECK(std::abs(static_cast<double>(e.matmul_params - matrices)) / matrices < 0.01);
  const double naive = 3.0 * (2.0 * static_cast<double>(e.matmul_params) + 4.0 * options.n_layers * T * options.d_model);
  CHECK(e.flops_per_token == Approx(naive));
  CHECK(e.tokens_per_step == 8 * T);
  CHECK(e.weight_bytes == 4.0 * all);
  CHECK(e.weight_bytes + e.gradient_bytes + e.optimizer_bytes == 16.0 * all);
  CHECK(e.kv_bytes_per_sequence == 4.0 * 2 * options.n_layers * options.ctx * options.d_model);
}

TEST_CASE("the plan's activations follow the micro-batch, its scores the square of the length", "[plan]") {
  ModelOptions options;
  options.vocab_size = 100;
  const TrainingEstimate one = estimate_training(options, 1000, 16, 1, 128);
  const TrainingEstimate two = estimate_training(options, 1000, 16, 2, 128);
  const TrainingEstimate longer = estimate_training(options, 1000, 16, 1, 256);
  CHECK(two.activation_bytes == Approx(one.activation_bytes / 2));
  CHECK(two.tokens_per_step == one.tokens_per_step);  // accumulation changes memory, not the step
  CHECK(longer.activation_bytes == Approx(2 * one.activation_bytes));
  CHECK(longer.score_bytes == Approx(4 * one.score_bytes));
  CHECK(one.required_bytes() == Approx(16000.0 + one.activation_bytes));
}
