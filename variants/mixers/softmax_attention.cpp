#include "mixers/softmax_attention.h"

#include <cmath>

#include "config/map_reader.h"

namespace attnlab {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

SoftmaxAttentionImpl::SoftmaxAttentionImpl(int64_t d_model, int64_t n_heads, double rope_theta)
    : n_heads_(n_heads),
      head_dim_(d_model / n_heads),
      rope_(d_model / n_heads, rope_theta),
      qkv_proj_(register_module("qkv_proj", nn::Linear(nn::LinearOptions(d_model, 3 * d_model).bias(false)))),
      out_proj_(register_module("out_proj", nn::Linear(nn::LinearOptions(d_model, d_model).bias(false)))) {}

TokenMixerPtr SoftmaxAttentionImpl::create(const MixerContext& context) {
  cfg::MapReader r(context.options, context.options_path);
  r.ignore("name");
  r.finish();
  return std::make_shared<SoftmaxAttentionImpl>(context.d_model, context.n_heads, context.rope_theta);
}

MixerTraits SoftmaxAttentionImpl::traits() const {
  MixerTraits t;
  t.has_kv_cache = true;
  t.has_weights = true;
  t.is_standard = true;
  return t;
}

torch::Tensor causal_future_mask(int64_t T, int64_t S, const torch::Device& device) {
  auto opts = torch::TensorOptions().dtype(torch::kInt64).device(device);
  auto query_pos = torch::arange(S - T, S, opts).unsqueeze(1);  // [T, 1]
  auto key_pos = torch::arange(0, S, opts).unsqueeze(0);        // [1, S]
  return key_pos > query_pos;                                   // [T, S]
}

MixerOutput SoftmaxAttentionImpl::forward(const MixerInput& in) {
  const int64_t B = in.x.size(0), T = in.x.size(1), C = in.x.size(2);
  torch::Tensor q, k, v;  // [B, T, C] each
  if (in.qk.is_same(in.x)) {
    auto qkv = qkv_proj_(in.x).chunk(3, -1);
    q = qkv[0], k = qkv[1], v = qkv[2];
  } else {
    auto w = qkv_proj_->weight.chunk(3, 0);  // 3 x [C, C]
    q = F::linear(in.qk, w[0]).expand({B, T, C});
    k = F::linear(in.qk, w[1]).expand({B, T, C});
    v = F::linear(in.x, w[2]);
  }
  auto heads = [&](const torch::Tensor& t) { return t.reshape({B, T, n_heads_, head_dim_}).transpose(1, 2); };
  q = rope_.apply(heads(q), in.pos0);  // [B, H, T, Dh]
  k = rope_.apply(heads(k), in.pos0);  // [B, H, T, Dh]
  v = heads(v);                        // [B, H, T, Dh]

  MixerOutput out;
  const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim_));
  auto scores = torch::matmul(q, k.transpose(-2, -1)) * scale;    // [B, H, T, S]
  auto future = causal_future_mask(T, k.size(2), scores.device());  // [T, S]
  if (in.need_stats) {
    out.stats.max_abs_score = scores.detach().masked_fill(future, 0.0).abs().max();
  }
  auto weights = torch::softmax(scores.masked_fill(future, -INFINITY), -1);  // [B, H, T, S]
  auto y = torch::matmul(weights, v);                                      // [B, H, T, Dh]
  if (in.need_weights) out.weights = weights;
  out.y = out_proj_(y.transpose(1, 2).reshape({B, T, C}));  // [B, T, C]
  return out;
}

}  // namespace attnlab
