#include "mixers/attention.h"

#include "core/error.h"
#include "infer/layer_cache.h"
#include "model/projection.h"

namespace attnlab {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

namespace {

/// A form whose weigh() sees its base form's scores plus a fixed bias (AttentionImpl::score_bias).
class BiasedForm : public AttentionForm {
 public:
  BiasedForm(const AttentionForm& base, torch::Tensor bias) : base_(base), bias_(std::move(bias)) {}
  FormTraits traits() const override { return base_.traits(); }
  torch::Tensor scores(const torch::Tensor& q, const torch::Tensor& k) const override { return base_.scores(q, k); }
  torch::Tensor weigh(const torch::Tensor& scores, const torch::Tensor& future) const override {
    return base_.weigh(scores + bias_, future);  // [B, H, T, S]
  }
  torch::Tensor fused(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                      const torch::Tensor& future) const override {
    return base_.fused_biased(q, k, v, future, bias_);
  }

 private:
  const AttentionForm& base_;
  torch::Tensor bias_;  // broadcastable to [B, H, T, S]
};

}  // namespace

AttentionImpl::AttentionImpl(int64_t d_model, int64_t n_heads, double rope_theta, AttentionFormPtr form,
                             QKSourcePtr qk_source)
    : n_heads_(n_heads),
      head_dim_(d_model / n_heads),
      form_(std::move(form)),
      form_traits_(form_->traits()),
      qk_source_(std::move(qk_source)),
      rope_(d_model / n_heads, rope_theta),
      qkv_proj_(register_module("qkv_proj", nn::Linear(nn::LinearOptions(d_model, 3 * d_model).bias(false)))),
      out_proj_(register_module("out_proj", nn::Linear(nn::LinearOptions(d_model, d_model).bias(false)))) {
  TORCH_CHECK(d_model % n_heads == 0, "d_model ", d_model, " is not a multiple of n_heads ", n_heads);
}

TokenMixerPtr AttentionImpl::build(const MixerContext& context, const std::optional<std::string>& form) {
  cfg::MapReader r(context.options, context.options_path);
  r.ignore("name");
  const auto& forms = attention_form_registry();
  const std::string form_name = form ? *form : r.choice("form", "softmax", forms.names());
  AttentionFormPtr built = forms.get(form_name)(r);
  QKSourcePtr qk = read_qk_source(r);
  r.finish();
  return std::make_shared<AttentionImpl>(context.d_model, context.n_heads, context.rope_theta, std::move(built), std::move(qk));
}

TokenMixerPtr AttentionImpl::create(const MixerContext& context) { return build(context, std::nullopt); }

MixerFactory AttentionImpl::factory_for_form(const std::string& form) {
  return [form](const MixerContext& context) { return build(context, form); };
}

MixerTraits AttentionImpl::traits() const {
  MixerTraits t;
  t.has_kv_cache = form_traits_.kv_cache;
  t.has_weights = form_traits_.kv_cache;
  t.recurrent_state = form_traits_.recurrent;
  t.is_standard = form_traits_.standard && qk_source_ == nullptr;
  return t;
}

torch::Tensor AttentionImpl::score_bias(const MixerInput&) { return {}; }

torch::Tensor AttentionImpl::rope_or_identity(const torch::Tensor& x, int64_t pos0) const {
  return form_traits_.rope ? rope_.apply(x, pos0) : x;
}

MixerOutput AttentionImpl::forward(const MixerInput& in) {
  const int64_t B = in.x.size(0), T = in.x.size(1), C = in.x.size(2);
  torch::Tensor q, k, v;  // [B, H, T, Dh] each
  if (in.qk.is_same(in.x)) {
    // one projection, split into heads by a view; RoPE rotates q and k in one pass
    auto qkv = project(in.x, qkv_proj_->weight).view({B, T, 3, n_heads_, head_dim_}).permute({2, 0, 3, 1, 4});
    v = qkv[2];  // [B, H, T, Dh]
    const torch::Tensor q_raw = qkv[0];
    const torch::Tensor q_in = form_->transform_queries(q_raw);
    if (!q_in.is_same(q_raw)) {
      q = rope_or_identity(q_in, in.pos0);
      k = rope_or_identity(qkv[1], in.pos0);
    } else {
      auto qk = rope_or_identity(qkv.narrow(0, 0, 2), in.pos0);  // [2, B, H, T, Dh]
      q = qk[0], k = qk[1];
    }
  } else {
    auto w = qkv_proj_->weight.chunk(3, 0);  // 3 x [C, C]
    auto heads = [&](const torch::Tensor& t) { return t.reshape({B, T, n_heads_, head_dim_}).transpose(1, 2); };
    auto q_in = form_->transform_queries(F::linear(in.qk, w[0]).expand({B, T, C}));
    q = rope_or_identity(heads(q_in), in.pos0);
    k = rope_or_identity(heads(F::linear(in.qk, w[1]).expand({B, T, C})), in.pos0);
    v = heads(F::linear(in.x, w[2]));
  }

  FormOutput mixed;
  const bool need_weights = in.need_weights && form_traits_.kv_cache;
  if (in.cache && !form_traits_.kv_cache) {
    mixed = form_->step(q, k, v, in.cache->state, in.need_stats);
  } else {
    torch::Tensor future;  // [T, S], over a cache [B, H, T, S], or undefined: nothing hidden
    if (in.cache) {
      in.cache->append(k, v, in.pos0);
      k = in.cache->keys();    // [B, H, S, Dh]
      v = in.cache->values();  // [B, H, S, Dh]
      if (T > 1) {  // one new query sees every held key (all at or before it): no mask
        future = cache_future_mask(torch::arange(in.pos0, in.pos0 + T, in.cache->positions().options()),
                                   in.cache->positions());
      }
    } else {
      future = causal_future_mask(T, T, q.device());
    }
    const torch::Tensor bias = score_bias(in);  // [B|1, H|1, T, S] or undefined
    mixed = bias.defined() ? BiasedForm(*form_, bias).mix(q, k, v, future, need_weights, in.need_stats)
                           : form_->mix(q, k, v, future, need_weights, in.need_stats);
  }
  MixerOutput out;
  out.weights = mixed.weights;
  out.stats.max_abs_score = mixed.max_abs_score;
  out.y = project(mixed.y.transpose(1, 2).reshape({B, T, C}), out_proj_->weight);  // [B, T, C]
  return out;
}

}  // namespace attnlab
