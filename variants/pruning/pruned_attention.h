#pragma once
/// The `dcp` mixer: causal softmax attention with Dynamic Context Pruning (Anagnostidis et al.
/// 2023). A per-layer ContextInteraction (registered as `interaction`) turns the layer input into
/// log I [B, T, T], which is added to the attention logits of every head, so a dropped key gets
/// exactly zero weight. The attention itself is AttentionImpl with the softmax form: its
/// parameters keep the names `qkv_proj` / `out_proj` of the dense softmax model, so a dense
/// checkpoint's weights match by name and fine-tuning starts from them.
///
///   mixer: {name: dcp, rank: 64, beta_init: 2.0, alpha_start: 1, alpha_end: 8, alpha_steps: 1000, lambda: 0.3}
///
/// α. In training mode α follows the cosine AlphaSchedule of the buffer `step`, which counts the
/// forward calls made in training mode (one per optimiser step in the Trainer; a buffer, so it is
/// saved with checkpoints and a resumed run continues the schedule). Outside training mode α is
/// `alpha_end`: the α the model was fine-tuned towards. Dropped entries (I = 0, an α-sigmoid that
/// is exactly 0 somewhere down the column) then get exactly zero weight; kept ones keep their
/// smooth I, as in training at the end of the schedule.
///
/// Loss. In training mode (and without a cache) MixerStats::aux_loss = λ · mean of I over the
/// causal entries (sparsity_loss); the Trainer adds it to the cross-entropy.
///
/// Statistics. With MixerInput::need_stats (and no cache) the scalars "dropped_fraction" and
/// "mean_keep" describe this call's log I (sparsity_tensors): the Trainer logs them to
/// /analysis/mixer_stats.
///
/// Decoding (MixerInput::cache set). The cache's `state` holds, slot by slot with its keys,
///   state[0]: k_int of every cached token [B, S, r],
///   state[1]: its running log I, the sum of log p over the queries seen so far [B, S];
/// each call adds the new queries' votes and uses the result as the bias. A token whose I became 0
/// gets exactly zero weight from then on (its log I stays at the floor), and is removed from the
/// cache (LayerCache::keep, the same slots in every head) at the next compaction: after every
/// prefill and whenever decoding crosses a multiple of kCompactEvery positions. A dead token so
/// stays at most kCompactEvery - 1 steps, and the other steps read nothing back from the device.
/// With B > 1 every row keeps max-over-rows kept tokens; a row's surplus slots are
/// dropped tokens that stay in the cache, masked (their log I stays at the floor). The slots of
/// state are gathered with the cache's, so no other eviction policy may compact the same cache
/// (checked: std::logic_error when the cache and the state disagree in size).

#include "mixers/attention.h"
#include "pruning/alpha_schedule.h"
#include "pruning/interaction.h"

namespace attnlab {

struct DcpOptions {
  int64_t rank = 64;        ///< r: width of the interaction's q_int and k_int
  double beta_init = 2.0;   ///< initial β (> 0: everything is kept at the start)
  AlphaSchedule alpha{1.0, 8.0, 1000};  ///< α over training steps (the reference code ramps over 25k)
  double lambda = 0.3;      ///< weight of the sparsity loss λ · mean(I)
};

class PrunedAttentionImpl : public AttentionImpl {
 public:
  PrunedAttentionImpl(int64_t d_model, int64_t n_heads, double rope_theta, const DcpOptions& options,
                      QKSourcePtr qk_source = nullptr);

  MixerOutput forward(const MixerInput& in) override;
  MixerTraits traits() const override;

  /// α the next forward uses: the schedule at `step` in training mode, alpha_end otherwise.
  double current_alpha() const;
  /// Forward calls made in training mode so far (the `step` buffer).
  int64_t step() const;
  /// log I [B, T, S] of the last forward (detached), for analysis; undefined before the first.
  const torch::Tensor& last_log_keep() const { return last_log_keep_; }

  /// Decoding positions between two compactions of the cache (see Decoding above).
  static constexpr int64_t kCompactEvery = 16;
  const DcpOptions& options() const { return options_; }
  ContextInteraction& interaction() { return interaction_; }

  /// Factory for `name: dcp`: rank, beta_init, alpha_start, alpha_end, alpha_steps, lambda, qk_source.
  static TokenMixerPtr create(const MixerContext& context);

 protected:
  torch::Tensor score_bias(const MixerInput& in) override;

 private:
  /// log I [B, T, S] of this call's queries against the cache's keys; updates the cache's state.
  torch::Tensor decode_log_keep(const MixerInput& in);
  /// True when a call appending T tokens at pos0 compacts: a prefill (T > 1), or a step that
  /// crosses a multiple of kCompactEvery.
  static bool crosses_compaction_step(int64_t pos0, int64_t T);
  /// Removes the tokens whose running I is 0 from the cache and its state.
  void drop_pruned(LayerCache& cache) const;

  DcpOptions options_;
  ContextInteraction interaction_{nullptr};
  torch::Tensor step_;           // [] training forwards so far (a buffer)
  double alpha_ = 1.0;           // α of the forward in progress
  torch::Tensor live_log_keep_;  // [B, T, S] of the forward in progress (with its graph)
  torch::Tensor last_log_keep_;  // [B, T, S] of the last forward, detached
};
TORCH_MODULE(PrunedAttention);

}  // namespace attnlab
