#pragma once
/// MAD noisy in-context recall (Poli et al. 2024; athms/mad-lab, mad/data/instances.py,
/// configs/tasks/noisy-in-context-recall.yml): in-context recall (in_context_recall_task.h) in which
/// each context unit is, with probability frac_noise, two tokens drawn uniformly with replacement
/// from a separate noise vocabulary instead of a key-value pair. Noise is never scored.
///
/// Token layout, as MAD's (vocab_size counts the noise tokens: MAD's baseline is V = 32 with 16 noise
/// tokens; S = V - N - (multi_query ? 0 : 1)):
///   keys [0, S/2), values [S/2, S), noise [S, S + N), copy token V - 1 (multi_query false only).

#include "tasks/in_context_recall_task.h"

namespace attnlab {

class NoisyRecallTask : public InContextRecallTask {
 public:
  using InContextRecallTask::InContextRecallTask;
  /// Reads vocab_size (32), seq_len (128), multi_query (true), noise_vocab_size (16), frac_noise (0.2).
  static std::shared_ptr<data::Task> create(const data::TaskContext& context);
};

}  // namespace attnlab
