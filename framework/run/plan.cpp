#include "run/plan.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

namespace attnlab {

TrainingEstimate estimate_training(const ModelOptions& m, int64_t params, int64_t batch_size, int64_t micro_batches,
                                   int64_t seq_len) {
  TrainingEstimate e;
  const double L = static_cast<double>(m.n_layers), d = static_cast<double>(m.d_model), T = static_cast<double>(seq_len);
  const double V = static_cast<double>(m.vocab_size), f = static_cast<double>(m.ffn_hidden_size());
  const double H = static_cast<double>(m.n_heads), micro = static_cast<double>(batch_size / micro_batches);
  e.params = params;
  e.matmul_params = params - (m.tie_embeddings ? 0 : m.vocab_size * m.d_model);  // an untied embedding is only looked up
  e.tokens_per_step = batch_size * seq_len;
  e.flops_per_token = 3.0 * (2.0 * static_cast<double>(e.matmul_params) + 4.0 * L * T * d);
  e.weight_bytes = 4.0 * static_cast<double>(params);
  e.gradient_bytes = e.weight_bytes;
  e.optimizer_bytes = 2.0 * e.weight_bytes;
  // Saved for backward per token and layer (pre-norm block, SwiGLU): about 11 d (norms, q k v,
  // RoPE, the mixer's output, projections, residuals) and 4 f (gate, up, SiLU, product); the head
  // keeps logits and log-probabilities and makes their gradient (3 V). A form that materialises
  // scores keeps about 4 [B, H, T, T] tensors a layer (scores, weights, what their backward needs).
  // Both fitted to peak RSS on the tiny model here (experiments/results/paper_scale.md).
  e.activation_bytes = 4.0 * micro * T * (L * (11.0 * d + 4.0 * f) + 3.0 * V);
  e.score_bytes = 4.0 * micro * H * T * T * 4.0 * L;
  e.kv_bytes_per_sequence = 4.0 * 2.0 * L * static_cast<double>(m.ctx) * d;
  return e;
}

namespace {

std::string bytes(double b) {
  if (b >= 1024.0 * 1024 * 1024) return fmt::format("{:.2f} GiB", b / (1024.0 * 1024 * 1024));
  return fmt::format("{:.1f} MiB", b / (1024.0 * 1024));
}

std::string duration(double seconds) {
  if (seconds < 120) return fmt::format("{:.1f} s", seconds);
  if (seconds < 7200) return fmt::format("{:.1f} min", seconds / 60);
  if (seconds < 172800) return fmt::format("{:.1f} h", seconds / 3600);
  return fmt::format("{:.1f} days", seconds / 86400);
}

}  // namespace

std::string format_plan(const TrainingEstimate& e, double peak_flops, const std::string& peak_source, int64_t total_tokens) {
  std::ostringstream out;
  out << fmt::format("parameters        {:>14}  ({} multiplied per token)\n", e.params, e.matmul_params);
  out << fmt::format("FLOPs per token   {:>14.4g}  (training: 3 x forward)\n", e.flops_per_token);
  out << fmt::format("tokens per step   {:>14}\n", e.tokens_per_step);
  out << fmt::format("FLOPs per step    {:>14.4g}\n", e.flops_per_token * static_cast<double>(e.tokens_per_step));
  out << "memory per rank\n";
  out << fmt::format("  weights         {:>14}\n", bytes(e.weight_bytes));
  out << fmt::format("  gradients       {:>14}\n", bytes(e.gradient_bytes));
  out << fmt::format("  AdamW moments   {:>14}\n", bytes(e.optimizer_bytes));
  out << fmt::format("  activations     {:>14}  (one micro-batch, no score matrices)\n", bytes(e.activation_bytes));
  out << fmt::format("  total           {:>14}  (+ {} where a form materialises [B, H, T, T] scores)\n",
                     bytes(e.required_bytes()), bytes(e.score_bytes));
  out << fmt::format("  KV cache        {:>14}  per sequence decoded at model.ctx\n", bytes(e.kv_bytes_per_sequence));
  const double step = e.flops_per_token * static_cast<double>(e.tokens_per_step) / peak_flops;
  out << fmt::format("time at {:.4g} TFLOP/s ({}): {} per step", peak_flops / 1e12, peak_source, duration(step));
  if (total_tokens > 0) {
    out << fmt::format(", {} for {:.4g} tokens", duration(e.flops_per_token * static_cast<double>(total_tokens) / peak_flops),
                       static_cast<double>(total_tokens));
  }
  out << " (at 100% of peak; divide by the MFU you expect)\n";
  return out.str();
}

double available_memory_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  double kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib * 1024.0;
  }
  return 0;
}

}  // namespace attnlab
