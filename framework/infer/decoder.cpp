#include "infer/decoder.h"

#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "core/error.h"

namespace attnlab {

Decoder::Decoder(TransformerLM model, std::shared_ptr<EvictionPolicy> policy, std::vector<int64_t> layer_budgets,
                 DecoderOptions options)
    : model_(std::move(model)), policy_(std::move(policy)), budgets_(std::move(layer_budgets)), options_(std::move(options)) {
  const int64_t n_layers = model_->n_layers();
  if (static_cast<int64_t>(budgets_.size()) != n_layers) {
    throw std::logic_error("Decoder: " + std::to_string(budgets_.size()) + " layer budgets for " +
                           std::to_string(n_layers) + " layers");
  }
  model_->eval();
  device_ = model_->parameters().front().device();
  caches_.resize(n_layers);
  kv_layer_.assign(n_layers, false);
  cache_ptrs_.assign(n_layers, nullptr);
  const int64_t headroom = std::max<int64_t>(1, options_.max_prefill);
  for (int64_t l = 0; l < n_layers; ++l) {
    if (!options_.skip_layers.empty() && options_.skip_layers[l]) continue;
    const MixerTraits traits = model_->block(l).mixer().traits();
    const std::string mixer = mixer_name(model_->plan().layers()[l].mixer);
    if (traits.has_kv_cache) {
      if (policy_ && policy_->needs_weights() && !traits.has_weights) {
        throw UserError("this cache policy needs attention weights, but layer " + std::to_string(l) + "'s mixer '" +
                        mixer + "' has none (use full, window, streaming or random)");
      }
      if (policy_ && policy_->evicts() && traits.manages_cache) {
        throw UserError("layer " + std::to_string(l) + "'s mixer '" + mixer +
                        "' removes tokens from its own KV cache, so no eviction policy may (use cache.name=full)");
      }
      caches_[l] = std::make_unique<LayerCache>(budgets_[l] + headroom);
      if (policy_) policy_->prepare(*caches_[l]);
      kv_layer_[l] = true;
    } else if (traits.recurrent_state) {
      caches_[l] = std::make_unique<LayerCache>(1);  // only LayerCache::state is used
    } else if (traits.mixes_tokens) {
      throw UserError("layer " + std::to_string(l) + "'s mixer '" + mixer +
                      "' has neither a KV cache nor a recurrent state: it cannot decode incrementally");
    }
    cache_ptrs_[l] = caches_[l].get();
  }
  if (policy_ && policy_->needs_weights() && !has_kv_layers()) {
    throw UserError("this cache policy scores tokens by their attention weights, but no layer of this model has any "
                    "(its mixers decode with a recurrent state or do not mix tokens: " + model_->plan().summary() +
                    "); use full, window, streaming or random");
  }
  if (policy_) policy_->reset();
}

Decoder Decoder::from_config(TransformerLM model, const CacheConfig& cache, int64_t context_len, DecoderOptions options) {
  std::vector<int64_t> budgets = cache.layer_budgets(model->n_layers(), context_len);
  return Decoder(std::move(model), cache.policy, std::move(budgets), std::move(options));
}

torch::Tensor Decoder::forward(const torch::Tensor& tokens) {
  c10::InferenceMode inference;  // no autograd bookkeeping (version counters, views) on the per-token ops
  const int64_t T = tokens.size(1);
  for (size_t l = 0; l < caches_.size(); ++l) {
    const LayerCache* cache = caches_[l].get();
    if (kv_layer_[l] && cache->size() + T > cache->capacity()) {
      throw std::logic_error("Decoder: " + std::to_string(T) + " tokens do not fit a cache holding " +
                             std::to_string(cache->size()) + " of " + std::to_string(cache->capacity()) +
                             " (raise DecoderOptions.max_prefill or the budget)");
    }
  }
  ForwardOptions fwd;
  fwd.pos0 = position_;
  fwd.need_weights = policy_ && policy_->needs_weights();
  fwd.skip_layers = options_.skip_layers;
  fwd.caches = cache_ptrs_;
  LMOutput out = model_->forward(tokens.to(device_), fwd);
  position_ += T;
  if (policy_) {
    const auto start = std::chrono::steady_clock::now();
    for (size_t l = 0; l < caches_.size(); ++l) {
      if (!kv_layer_[l]) continue;
      const torch::Tensor& weights = out.layers[l].weights;  // [B, H, T, S]
      if (policy_->needs_weights() && !weights.defined()) {
        throw std::logic_error("Decoder: layer " + std::to_string(l) + " returned no attention weights");
      }
      policy_->observe(*caches_[l], weights);
      policy_->compress(*caches_[l], budgets_[l]);
    }
    policy_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  return out.logits;  // [B, T, V]
}

torch::Tensor Decoder::prefill(const torch::Tensor& tokens) { return forward(tokens); }

torch::Tensor Decoder::step(const torch::Tensor& tokens) {
  return forward(tokens).select(1, 0);  // [B, V]
}

void Decoder::reset() {
  for (auto& cache : caches_) {
    if (cache) cache->clear();
  }
  position_ = 0;
  policy_seconds_ = 0.0;
  if (policy_) policy_->reset();
}

int64_t Decoder::memory_bytes() const {
  int64_t bytes = 0;
  for (const auto& cache : caches_) {
    if (cache) bytes += cache->kv_bytes() + cache->state_bytes();
  }
  return bytes;
}

int64_t Decoder::bookkeeping_bytes() const {
  int64_t bytes = 0;
  for (const auto& cache : caches_) {
    if (cache) bytes += cache->bookkeeping_bytes();
  }
  return bytes;
}

int64_t Decoder::max_cache_size() const {
  int64_t size = 0;
  for (size_t l = 0; l < caches_.size(); ++l) {
    if (kv_layer_[l]) size = std::max(size, caches_[l]->size());
  }
  return size;
}

bool Decoder::has_kv_layers() const { return std::find(kv_layer_.begin(), kv_layer_.end(), true) != kv_layer_.end(); }

bool Decoder::has_recurrent_layers() const {
  for (size_t l = 0; l < caches_.size(); ++l) {
    if (caches_[l] && !kv_layer_[l]) return true;
  }
  return false;
}

}  // namespace attnlab
