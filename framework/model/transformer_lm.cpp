#include "model/transformer_lm.h"

#include <cmath>

namespace attnlab {

namespace nn = torch::nn;

TransformerLMImpl::TransformerLMImpl(const ModelOptions& options, const LayerPlan& plan)
    : options_(options), plan_(plan) {
  TORCH_CHECK(options.vocab_size > 0, "ModelOptions.vocab_size must be set from the tokenizer");
  TORCH_CHECK(plan.size() == options.n_layers, "layer plan has ", plan.size(), " layers, model has ", options.n_layers);
  tok_emb_ = register_module("tok_emb", nn::Embedding(options.vocab_size, options.d_model));
  block_list_ = register_module("blocks", nn::ModuleList());
  for (int64_t i = 0; i < options.n_layers; ++i) {
    const LayerSpec& spec = plan.layers()[i];
    MixerContext context{spec.mixer, spec.options_path, options.d_model, options.n_heads,
                         options.n_layers, i, options.rope_theta};
    TokenMixerPtr mixer = mixer_registry().get(mixer_name(spec.mixer))(context);
    blocks_.push_back(Block(std::move(mixer), options.d_model, options.ffn_hidden_size(), options.norm_eps,
                            options.dropout));
    block_list_->push_back(blocks_.back());
  }
  final_norm_ = register_module("final_norm", RMSNorm(options.d_model, options.norm_eps));
  if (!options.tie_embeddings) {
    lm_head_ = register_module("lm_head", nn::Linear(nn::LinearOptions(options.d_model, options.vocab_size).bias(false)));
  }
  init_weights();
}

void TransformerLMImpl::init_weights() {
  torch::NoGradGuard no_grad;
  const double residual_std = options_.init_std / std::sqrt(2.0 * static_cast<double>(options_.n_layers));
  for (auto& item : named_parameters()) {
    auto& p = item.value();
    if (p.dim() < 2) continue;  // norms keep their ones
    p.normal_(0.0, is_residual_projection(item.key()) ? residual_std : options_.init_std);
  }
}

LMOutput TransformerLMImpl::forward(const torch::Tensor& tokens, const ForwardOptions& fwd) {
  LMOutput out;
  auto h = tok_emb_(tokens);  // [B, T, C]
  out.layers.resize(blocks_.size());
  for (size_t i = 0; i < blocks_.size(); ++i) {
    if (!fwd.skip_layers.empty() && fwd.skip_layers[i]) continue;
    MixerInput in;
    in.pos0 = fwd.pos0;
    in.need_weights = fwd.need_weights;
    in.need_stats = fwd.need_stats;
    in.cache = fwd.caches.empty() ? nullptr : fwd.caches[i];
    MixerOutput layer = blocks_[i]->forward(h, std::move(in));
    h = std::move(layer.y);
    if (layer.stats.aux_loss.defined()) {
      out.aux_loss = out.aux_loss.defined() ? out.aux_loss + layer.stats.aux_loss : layer.stats.aux_loss;
    }
    out.layers[i] = std::move(layer);
  }
  h = final_norm_(h);
  out.logits = lm_head_ ? lm_head_(h) : torch::nn::functional::linear(h, tok_emb_->weight);  // [B, T, V]
  return out;
}

int64_t TransformerLMImpl::parameter_count() const {
  int64_t count = 0;
  for (const auto& p : parameters()) count += p.numel();
  return count;
}

bool is_residual_projection(const std::string& name) {
  auto ends_with = [&](const std::string& suffix) {
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return ends_with("out_proj.weight") || ends_with("down_proj.weight");
}

}  // namespace attnlab
