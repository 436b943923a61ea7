#include "registry.h"
#include "tasks/fuzzy_recall_task.h"
#include "tasks/in_context_recall_task.h"
#include "tasks/induction_task.h"
#include "tasks/memorization_task.h"
#include "tasks/mqar_task.h"
#include "tasks/noisy_recall_task.h"
#include "tasks/passkey_task.h"
#include "tasks/selective_copy_task.h"

namespace attnlab {

void register_builtin_tasks() {
  auto& tasks = data::task_registry();
  tasks.add("mqar", "Zoology multi-query associative recall: N key-value pairs, then queries", MqarTask::create);
  tasks.add("in_context_recall", "MAD in-context recall: repeated keys with a per-sequence key-value map; recall each repeated key's value", InContextRecallTask::create);
  tasks.add("noisy_recall", "MAD noisy in-context recall: in-context recall with units of noise tokens (frac_noise)", NoisyRecallTask::create);
  tasks.add("fuzzy_recall", "MAD fuzzy in-context recall: keys and values are motifs of 1-3 tokens", FuzzyRecallTask::create);
  tasks.add("selective_copy", "MAD selective copying: data tokens among blanks, emitted in order after a copy token", SelectiveCopyTask::create);
  tasks.add("memorization", "MAD memorization: a fixed key-value map (from data.task.seed) answered at INSERT tokens", MemorizationTask::create);
  tasks.add("induction", "Bietti et al. induction heads: corpus character bigrams plus triggers whose output repeats", InductionTask::create);
  tasks.add("passkey", "passkey retrieval: a numeric key hidden in filler text, asked for at the end", PasskeyTask::create);
}

}  // namespace attnlab
