#include "mixers/attention.h"
#include "mixers/forms/elu1.h"
#include "mixers/forms/linear.h"
#include "mixers/forms/nonapprox.h"
#include "mixers/forms/relu.h"
#include "mixers/forms/sigmoid.h"
#include "mixers/forms/softmax.h"
#include "mixers/forms/taylor.h"
#include "mixers/mlp_mixer.h"
#include "mixers/uniform_mixer.h"
#include "pruning/pruned_attention.h"
#include "registry.h"

namespace attnlab {

void register_builtin_mixers() {
  auto& forms = attention_form_registry();
  forms.add("softmax", "causal multi-head softmax attention with RoPE (the standard baseline)",
            forms::SoftmaxForm::create);
  forms.add("linear", "softmax removed: raw scores q·k/√d, normalised by Σ|s| (normalize: abs_sum | none)",
            forms::LinearForm::create);
  forms.add("relu", "softmax replaced by relu(q·k/√d), row-normalised (normalize: sum | none)",
            forms::ReluForm::create);
  forms.add("sigmoid", "softmax replaced by sigmoid(q·k/√d), row-normalised (normalize: sum | none)",
            forms::SigmoidForm::create);
  forms.add("elu1", "linear attention with φ = elu + 1 (recurrent decoding)", forms::Elu1Form::create);
  forms.add("taylor", "Approximate: 1 + s + s²/2 (softmax's 2nd-order Taylor), row-normalised (recurrent decoding)",
            forms::TaylorForm::create);
  forms.add("nonapprox", "Non-approximate: Q = SiLU(H W_Q), weights exp(q_j·k_j/√d) of each token alone",
            forms::NonApproxForm::create);

  auto& mixers = mixer_registry();
  mixers.add("attention", "causal attention composed from form (" + join(forms.names(), "|") +
                              ") and qk_source (attnlab list qk_sources)",
             AttentionImpl::create);
  for (const auto& form : forms.names()) {
    mixers.add(form, forms.description(form), AttentionImpl::factory_for_form(form));
  }
  mixers.add("mlp", "no token mixing: a SwiGLU per token, parameter-matched to attention (the paper's MLP)",
             MLPMixerImpl::create);
  mixers.add("uniform", "fixed causal averaging of values (token mixing without sequence dependence)",
             UniformMixerImpl::create);
  mixers.add("dcp", "softmax attention with Dynamic Context Pruning (learned, once-dropped-stays-dropped keys)",
             PrunedAttentionImpl::create);
}

}  // namespace attnlab
