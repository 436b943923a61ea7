#include "model/transformer_lm.h"

#include <ATen/CPUGeneratorImpl.h>

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
  const QKSourceSpec* random = nullptr;
  for (size_t i = 0; i < qk_sources_.size(); ++i) {
    const QKSourceSpec& spec = qk_sources_[i];
    if (spec.kind != QKSource::random_stream) continue;
    if (random && (random->stream_std != spec.stream_std || random->stream_seed != spec.stream_seed)) {
      throw UserError("layers ask for different random qk streams (stream_std/stream_seed differ at layer " +
                      std::to_string(i) + "); the model holds one random stream");
    }
    random = &spec;
  }
  if (random) {
    auto generator = at::make_generator<at::CPUGeneratorImpl>(random->stream_seed);
    auto noise = torch::randn({1, options_.ctx, options_.d_model}, generator, torch::kFloat32);  // [1, ctx, C]
    random_stream_ = register_buffer("qk_random_stream", noise * random->stream_std);
  }
  if (wants_fixed_stream()) {
    fixed_stream_ = register_buffer("qk_fixed_stream", torch::full({options_.ctx}, -1, torch::kInt64));  // [ctx]
  }
}

bool TransformerLMImpl::wants_fixed_stream() const {
  for (const auto& spec : qk_sources_) {
    if (spec.kind == QKSource::fixed_stream) return true;
  }
  return false;
}

void TransformerLMImpl::set_fixed_stream(const torch::Tensor& tokens) {
  TORCH_CHECK(fixed_stream_.defined(), "set_fixed_stream: no layer of this model uses the fixed_stream qk source");
  TORCH_CHECK(tokens.dim() == 1 && tokens.size(0) == options_.ctx, "set_fixed_stream: expected [", options_.ctx,
              "] token ids, got ", tokens.sizes());
  TORCH_CHECK(tokens.min().item<int64_t>() >= 0 && tokens.max().item<int64_t>() < options_.vocab_size,
              "set_fixed_stream: token ids must lie in [0, ", options_.vocab_size, ")");
  torch::NoGradGuard no_grad;
  fixed_stream_.copy_(tokens);
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
  std::map<QKSource, std::vector<torch::Tensor>> streams;  // per stream: hidden state entering each layer
  size_t last_stream_layer = 0;
  for (size_t i = 0; i < blocks_.size(); ++i) {
    if (qk_sources_[i].is_stream() && !skipped(fwd, i)) last_stream_layer = i;
  }
  for (size_t i = 0; i < blocks_.size(); ++i) {
    const QKSource source = qk_sources_[i].kind;
    if (skipped(fwd, i) || source == QKSource::current) continue;
    if (source == QKSource::static_emb) {
      qk[i] = embedded;  // [B, T, C]
      continue;
    }
    auto& states = streams[source];
    if (states.empty()) states = run_stream(source, fwd.pos0 + T, fwd, last_stream_layer);
    qk[i] = states[i].narrow(1, fwd.pos0, T);  // [1, T, C]
  }
  return qk;
}

std::vector<torch::Tensor> TransformerLMImpl::run_stream(QKSource source, int64_t length, const ForwardOptions& fwd,
                                                         size_t last_layer) {
  if (length > options_.ctx) {
    throw UserError("qk_source " + qk_source_name(source) + " covers positions [0, " + std::to_string(options_.ctx) +
                    ") (model.ctx); position " + std::to_string(length - 1) + " was asked for");
  }
  torch::Tensor h;  // [1, length, C]
  if (source == QKSource::random_stream) {
    h = random_stream_.narrow(1, 0, length);
  } else {
    if (fixed_stream_.min().item<double>() < 0) {
      throw UserError("qk_source fixed_stream: the model's fixed sequence was never set (set_fixed_stream)");
    }
    h = tok_emb_(fixed_stream_.narrow(0, 0, length).to(torch::kInt64)).unsqueeze(0);
  }
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
