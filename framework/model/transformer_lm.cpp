#include "model/transformer_lm.h"

#include <cmath>
#include <map>

#include "core/error.h"
#include "model/projection.h"

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
    qk_sources_.push_back(mixer->qk_source());
    blocks_.push_back(Block(std::move(mixer), options.d_model, options.ffn_hidden_size(), options.norm_eps,
                            options.dropout));
    block_list_->push_back(blocks_.back());
  }
  final_norm_ = register_module("final_norm", RMSNorm(options.d_model, options.norm_eps));
  if (!options.tie_embeddings) {
    lm_head_ = register_module("lm_head", nn::Linear(nn::LinearOptions(options.d_model, options.vocab_size).bias(false)));
  }
  init_weights();
  init_qk_streams();
}

void TransformerLMImpl::init_qk_streams() {
  for (size_t i = 0; i < qk_sources_.size(); ++i) {
    const QKSourcePtr& source = qk_sources_[i];
    if (!source || !source->is_stream()) continue;
    auto [it, fresh] = streams_.emplace(source->name(), source);
    if (!fresh) {
      if (it->second->stream_identity() != source->stream_identity()) {
        throw UserError("layers ask for different " + source->name() + " qk streams (" +
                        it->second->stream_identity() + " vs " + source->stream_identity() + " at layer " +
                        std::to_string(i) + "); the model holds one stream per source");
      }
      qk_sources_[i] = it->second;  // one stream: every layer reads the owner's buffers
      continue;
    }
    for (auto& [name, buffer] : source->make_buffers({options_.ctx, options_.d_model, options_.vocab_size})) {
      register_buffer("qk_" + name, buffer);
    }
  }
}

bool TransformerLMImpl::wants_train_prefix() const {
  for (const auto& [name, source] : streams_) {
    if (source->wants_train_prefix()) return true;
  }
  return false;
}

void TransformerLMImpl::set_train_prefix(const torch::Tensor& tokens) {
  TORCH_CHECK(wants_train_prefix(), "set_train_prefix: no qk stream of this model reads the training data");
  TORCH_CHECK(tokens.dim() == 1 && tokens.size(0) == options_.ctx, "set_train_prefix: expected [", options_.ctx,
              "] token ids, got ", tokens.sizes());
  TORCH_CHECK(tokens.min().item<int64_t>() >= 0 && tokens.max().item<int64_t>() < options_.vocab_size,
              "set_train_prefix: token ids must lie in [0, ", options_.vocab_size, ")");
  for (const auto& [name, source] : streams_) {
    if (source->wants_train_prefix()) source->set_train_prefix(tokens);
  }
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

namespace {
bool skipped(const ForwardOptions& fwd, size_t layer) { return !fwd.skip_layers.empty() && fwd.skip_layers[layer]; }
}  // namespace

std::vector<torch::Tensor> TransformerLMImpl::layer_qk(const torch::Tensor& tokens, const ForwardOptions& fwd) {
  return qk_from_embedding(tok_emb_(tokens), fwd);
}

std::vector<torch::Tensor> TransformerLMImpl::qk_from_embedding(const torch::Tensor& embedded,
                                                                const ForwardOptions& fwd) {
  const int64_t T = embedded.size(1);
  std::vector<torch::Tensor> qk(blocks_.size());
  std::map<std::string, std::vector<torch::Tensor>> states;  // per stream: hidden state entering each layer
  size_t last_stream_layer = 0;
  for (size_t i = 0; i < blocks_.size(); ++i) {
    if (qk_sources_[i] && qk_sources_[i]->is_stream() && !skipped(fwd, i)) last_stream_layer = i;
  }
  for (size_t i = 0; i < blocks_.size(); ++i) {
    const QKSourcePtr& source = qk_sources_[i];
    if (skipped(fwd, i) || !source) continue;
    if (!source->is_stream()) {
      qk[i] = source->from_input(embedded);  // [B, T, C]
      continue;
    }
    auto& stream = states[source->name()];
    if (stream.empty()) stream = run_stream(*source, fwd.pos0 + T, fwd, last_stream_layer);
    qk[i] = stream[i].narrow(1, fwd.pos0, T);  // [1, T, C]
  }
  return qk;
}

std::vector<torch::Tensor> TransformerLMImpl::run_stream(const QKSource& source, int64_t length,
                                                         const ForwardOptions& fwd, size_t last_layer) {
  if (length > options_.ctx) {
    throw UserError("qk_source " + source.name() + " covers positions [0, " + std::to_string(options_.ctx) +
                    ") (model.ctx); position " + std::to_string(length - 1) + " was asked for");
  }
  torch::Tensor h = source.stream_input(length, *tok_emb_);  // [1, length, C]
  std::vector<torch::Tensor> states(last_layer + 1);
  for (size_t i = 0; i <= last_layer; ++i) {
    states[i] = h;
    if (skipped(fwd, i) || i == last_layer) continue;
    MixerInput in;  // a normal sequence from position 0, with current-source Q/K, no cache
    h = blocks_[i]->forward(h, std::move(in)).y;
  }
  return states;
}

LMOutput TransformerLMImpl::forward(const torch::Tensor& tokens, const ForwardOptions& fwd) {
  LMOutput out;
  auto h = tok_emb_(tokens);  // [B, T, C]
  std::vector<torch::Tensor> qk = qk_from_embedding(h, fwd);  // per layer [B|1, T, C] or undefined
  out.layers.resize(blocks_.size());
  if (fwd.hidden) fwd.hidden->push_back(h);
  for (size_t i = 0; i < blocks_.size(); ++i) {
    if (skipped(fwd, i)) {
      if (fwd.hidden) fwd.hidden->push_back(h);
      continue;
    }
    MixerInput in;
    in.qk = qk[i];
    in.pos0 = fwd.pos0;
    in.need_weights = fwd.need_weights;
    in.need_stats = fwd.need_stats;
    in.cache = fwd.caches.empty() ? nullptr : fwd.caches[i];
    MixerOutput layer = blocks_[i]->forward(h, std::move(in));
    h = std::move(layer.y);
    if (fwd.hidden) fwd.hidden->push_back(h);
    if (layer.stats.aux_loss.defined()) {
      out.aux_loss = out.aux_loss.defined() ? out.aux_loss + layer.stats.aux_loss : layer.stats.aux_loss;
    }
    out.layers[i] = std::move(layer);
  }
  h = final_norm_(h);
  out.logits = project(h, lm_head_ ? lm_head_->weight : tok_emb_->weight);  // [B, T, V]
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
