#pragma once
/// Perplexity evaluation on a fixed set of validation windows.

#include <limits>
#include <map>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "model/transformer_lm.h"

namespace attnlab {

struct EvalResult {
  double loss = 0.0;                   ///< mean cross-entropy, nats per token
  double ppl = 0.0;                    ///< exp(loss)
  double bpc = 0.0;                    ///< bits per character of text: loss / ln 2 / chars_per_token
  int64_t tokens = 0;                  ///< tokens scored
  std::vector<double> max_abs_score;   ///< per layer, largest |pre-normalisation score| (NaN if none)
  /// Each scalar the mixers report (MixerStats::scalars) by name: per layer, its mean over the
  /// windows (NaN for a layer that does not report it).
  std::map<std::string, std::vector<double>> mixer_stats;
  // Probe tasks (an eval set with labels); NaN / empty for text.
  double accuracy = std::numeric_limits<double>::quiet_NaN();     ///< argmax == label, over scored positions
  double answer_loss = std::numeric_limits<double>::quiet_NaN();  ///< mean cross-entropy at scored positions
  int64_t answers = 0;                                            ///< scored positions
  std::vector<double> slice_accuracy;  ///< per slice of the eval set (NaN for an empty slice)
  std::vector<int64_t> slice_answers;  ///< scored positions per slice
  // Text (an eval set with AR-hit masks); NaN for tasks.
  double ar_hit_loss = std::numeric_limits<double>::quiet_NaN();   ///< mean cross-entropy on AR-hit tokens
  double other_loss = std::numeric_limits<double>::quiet_NaN();    ///< mean cross-entropy on all other tokens
  double ar_hit_share = std::numeric_limits<double>::quiet_NaN();  ///< AR-hit tokens / scored tokens
};

/// Evaluates `model` on an eval set in batches (no grad, eval mode restored afterwards): the loss
/// over the targets that are not ignored and, when the set has labels, accuracy and answer loss at
/// the scored positions, overall and per slice; on text, the loss on AR-hit tokens and elsewhere.
EvalResult evaluate_set(TransformerLM& model, const data::EvalSet& set, int64_t batch_size,
                        const ForwardOptions& forward_options = {});

/// Evaluates `model` on windows x, y [N, T] in batches (no grad, eval mode restored afterwards).
/// `chars_per_token` converts the per-token loss to bits per character (1 for a char tokenizer).
EvalResult evaluate_windows(TransformerLM& model, const torch::Tensor& x, const torch::Tensor& y, int64_t batch_size,
                            double chars_per_token, const ForwardOptions& forward_options = {});

/// Which layers "skip nonstandard" removes: every layer whose mixer is not standard attention.
std::vector<bool> nonstandard_layers(TransformerLM& model);

}  // namespace attnlab
