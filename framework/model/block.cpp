#include "model/block.h"

namespace attnlab {

BlockImpl::BlockImpl(TokenMixerPtr mixer, int64_t d_model, int64_t ffn_hidden, double norm_eps, double dropout)
    : mixer_(register_module("mixer", std::move(mixer))),
      mixer_norm_(register_module("mixer_norm", RMSNorm(d_model, norm_eps))),
      mlp_norm_(register_module("mlp_norm", RMSNorm(d_model, norm_eps))),
      mlp_(register_module("mlp", SwiGLU(d_model, ffn_hidden))),
      dropout_(register_module("dropout", torch::nn::Dropout(dropout))) {}

MixerOutput BlockImpl::forward(const torch::Tensor& h, MixerInput in) {
  in.x = mixer_norm_(h);                                   // [B, T, C]
  in.qk = in.qk.defined() ? mixer_norm_(in.qk) : in.x;     // [B|1, T, C]
  MixerOutput out = mixer_->forward(in);
  auto stream = h + dropout_(out.y);                       // [B, T, C]
  out.y = stream + dropout_(mlp_(mlp_norm_(stream)));
  return out;
}

}  // namespace attnlab
