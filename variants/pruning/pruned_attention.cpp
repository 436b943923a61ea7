#include "pruning/pruned_attention.h"

#include <stdexcept>

#include "config/map_reader.h"
#include "infer/layer_cache.h"
#include "mixers/forms/softmax.h"
#include "pruning/sparsity.h"

namespace attnlab {

PrunedAttentionImpl::PrunedAttentionImpl(int64_t d_model, int64_t n_heads, double rope_theta,
                                         const DcpOptions& options, QKSourcePtr qk_source)
    : AttentionImpl(d_model, n_heads, rope_theta, std::make_shared<forms::SoftmaxForm>(), std::move(qk_source)),
      options_(options),
      interaction_(register_module("interaction", ContextInteraction(ContextInteractionOptions{
                                                      d_model, options.rank, options.beta_init, kLogZero}))),
      step_(register_buffer("step", torch::zeros({}, torch::kInt64))) {}

TokenMixerPtr PrunedAttentionImpl::create(const MixerContext& context) {
  cfg::MapReader r(context.options, context.options_path);
  r.ignore("name");
  DcpOptions o;
  o.rank = r.integer("rank", o.rank);
  o.beta_init = r.number("beta_init", o.beta_init);
  o.alpha.start = r.number("alpha_start", o.alpha.start);
  o.alpha.end = r.number("alpha_end", o.alpha.end);
  o.alpha.steps = r.integer("alpha_steps", o.alpha.steps);
  o.lambda = r.number("lambda", o.lambda);
  QKSourcePtr qk = read_qk_source(r);
  auto check = [&](bool ok, const std::string& key, const std::string& rule) {
    if (!ok) cfg::fail_at(r.node().find(key)->source(), r.key_path(key) + ": must be " + rule);
  };
  check(o.rank > 0, "rank", "> 0");
  check(o.alpha.start >= 1.0, "alpha_start", ">= 1");
  check(o.alpha.end >= 1.0, "alpha_end", ">= 1");
  check(o.alpha.steps >= 0, "alpha_steps", ">= 0");
  check(o.lambda >= 0.0, "lambda", ">= 0");
  r.finish();
  return std::make_shared<PrunedAttentionImpl>(context.d_model, context.n_heads, context.rope_theta, o, std::move(qk));
}

MixerTraits PrunedAttentionImpl::traits() const {
  MixerTraits t = AttentionImpl::traits();  // softmax: KV cache and weights
  t.is_standard = false;
  t.manages_cache = true;  // drops pruned tokens itself (drop_pruned)
  return t;
}

int64_t PrunedAttentionImpl::step() const { return static_cast<int64_t>(step_.item<double>()); }

double PrunedAttentionImpl::current_alpha() const {
  return is_training() ? options_.alpha.at(step()) : options_.alpha.end;
}

MixerOutput PrunedAttentionImpl::forward(const MixerInput& in) {
  alpha_ = current_alpha();
  if (is_training()) {
    torch::NoGradGuard no_grad;
    step_.add_(1);  // the buffer may have been cast to a floating dtype by Module::to
  }
  MixerOutput out = AttentionImpl::forward(in);  // calls score_bias()
  torch::Tensor log_keep = std::move(live_log_keep_);  // [B, T, S]
  live_log_keep_ = torch::Tensor();
  last_log_keep_ = log_keep.detach();
  if (in.cache && crosses_compaction_step(in.pos0, in.x.size(1))) drop_pruned(*in.cache);
  if (is_training() && !in.cache) out.stats.aux_loss = sparsity_loss(log_keep, options_.lambda);
  if (in.need_stats && !in.cache) {
    SparsityTensors sparsity = sparsity_tensors(log_keep);
    out.stats.scalars["dropped_fraction"] = sparsity.dropped_fraction;
    out.stats.scalars["mean_keep"] = sparsity.mean_keep;
  }
  return out;
}

torch::Tensor PrunedAttentionImpl::score_bias(const MixerInput& in) {
  live_log_keep_ = in.cache ? decode_log_keep(in) : interaction_->forward(in.x, alpha_);  // [B, T, S]
  return live_log_keep_.unsqueeze(1);  // [B, 1, T, S]: shared by the heads
}

torch::Tensor PrunedAttentionImpl::decode_log_keep(const MixerInput& in) {
  LayerCache& cache = *in.cache;
  const int64_t B = in.x.size(0), T = in.x.size(1), S = cache.size(), S_old = S - T;
  std::vector<torch::Tensor>& state = cache.state;  // {k_int [B, S_old, r], log I [B, S_old]}
  const int64_t held = state.empty() ? 0 : state[0].size(1);
  if (held != S_old) {
    throw std::logic_error("dcp: the cache holds " + std::to_string(S_old) + " earlier tokens but the pruning state " +
                           std::to_string(held) + " (was the cache compacted by another eviction policy?)");
  }
  auto k_new = interaction_->k_int()(in.x);                                     // [B, T, r]
  auto k_all = state.empty() ? k_new : torch::cat({state[0], k_new}, 1);        // [B, S, r]
  auto log_p = log_alpha_sigmoid(interaction_->scores_against(in.x, k_all), alpha_, kLogZero);  // [B, T, S]
  auto key_pos = cache.positions().select(1, 0).unsqueeze(1);                   // [B, 1, S] (heads agree)
  auto query_pos = torch::arange(in.pos0, in.pos0 + T, key_pos.options()).view({1, T, 1});  // [1, T, 1]
  auto votes = log_p.masked_fill(key_pos >= query_pos, 0.0);                    // [B, T, S] only j < n vote
  auto earlier = torch::zeros({B, T}, log_p.options());                         // [B, T] new tokens: I = 1
  auto running = state.empty() ? earlier : torch::cat({state[1].to(log_p.dtype()), earlier}, 1);  // [B, S]
  auto log_keep = (votes.cumsum(1) + running.unsqueeze(1)).clamp_min(kLogZero);  // [B, T, S]
  state = {k_all.detach(), log_keep.select(1, T - 1).detach()};
  return log_keep;
}

bool PrunedAttentionImpl::crosses_compaction_step(int64_t pos0, int64_t T) {
  return T > 1 || (pos0 + T) / kCompactEvery > pos0 / kCompactEvery;
}

void PrunedAttentionImpl::drop_pruned(LayerCache& cache) const {
  std::vector<torch::Tensor>& state = cache.state;
  auto kept = keep_mask(state[1]);  // [B, S]
  const int64_t B = kept.size(0), S = kept.size(1), H = cache.keys().size(1), r = state[0].size(2);
  const int64_t n = kept.sum(1).max().item<int64_t>();  // the one host read, every kCompactEvery steps
  if (n == S) return;
  // kept slots first (then dropped ones to fill rows up to n), each group in slot order
  auto slot = torch::arange(S, kept.options().dtype(torch::kInt64)).unsqueeze(0);  // [1, S]
  auto rank = (~kept).to(torch::kInt64) * S + slot;                                // [B, S]
  auto index = std::get<0>(std::get<1>(rank.sort(1)).narrow(1, 0, n).sort(1));   // [B, n] ascending slots
  cache.keep(index.unsqueeze(1).expand({B, H, n}).contiguous());
  state[0] = state[0].gather(1, index.unsqueeze(-1).expand({B, n, r}));
  state[1] = state[1].gather(1, index);
}

}  // namespace attnlab
