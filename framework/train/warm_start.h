#pragma once
/// Warm start (`init_from`): a new run begins from another run's weights, matched by name. This is
/// how Dynamic Context Pruning fine-tunes a dense model: the `dcp` mixer keeps the dense
/// attention's parameter names, so everything but its new interaction weights comes from the
/// dense checkpoint, and `train.trainable: new` can train only those.

#include <string>
#include <vector>

#include "data/corpus.h"
#include "model/transformer_lm.h"

namespace attnlab {

/// What a warm start copied.
struct WarmStart {
  std::string checkpoint;           ///< the checkpoint file read
  std::vector<std::string> loaded;  ///< parameters and buffers copied from it
  std::vector<std::string> fresh;   ///< parameters of the model it lacks (they keep their initialisation)
  std::vector<std::string> unused;  ///< parameters it has that the model lacks (ignored)

  /// "loaded 42 tensors from X; new: 12 (blocks.0.mixer.interaction.q_int.weight, ...); unused: 0".
  std::string summary() const;
};

/// The checkpoint `init_from` names: a run directory (its checkpoint.pt) or a checkpoint file.
/// UserError when neither exists.
std::string resolve_init_checkpoint(const std::string& init_from);

/// Copies every parameter and buffer of the checkpoint that the model has under the same name.
/// UserError (one line, naming the checkpoint and the tensor) when a shared name has another
/// shape, when nothing is shared, or when the checkpoint's run used other data than `data`
/// (its tokenizer, built from the data config, would give the token ids other meanings).
/// With `copy` false nothing is written into the model: the result only lists what would be
/// (a resumed run re-derives which parameters are new without overwriting its own weights).
WarmStart warm_start(TransformerLM& model, const std::string& init_from, const data::DataOptions& data,
                     bool copy = true);

/// Stops gradients for every parameter except `warm.fresh` (`train.trainable: new`).
/// UserError when that leaves nothing to train.
void freeze_all_but_fresh(TransformerLM& model, const WarmStart& warm);

}  // namespace attnlab
