#include "eviction/full_policy.h"
#include "eviction/h2o_policy.h"
#include "eviction/random_policy.h"
#include "eviction/scissorhands_policy.h"
#include "eviction/streaming_policy.h"
#include "eviction/tova_policy.h"
#include "eviction/window_policy.h"
#include "registry.h"

namespace attnlab {

void register_builtin_eviction_policies() {
  auto& policies = policy_registry();
  policies.add("full", "keep every token (the reference; budget = context)", FullPolicy::create);
  policies.add("window", "sliding window: the budget most recent tokens", WindowPolicy::create);
  policies.add("streaming", "StreamingLLM: n_sink first tokens + recent window", StreamingPolicy::create);
  policies.add("h2o", "H2O: heavy hitters by accumulated attention + recent window", H2OPolicy::create);
  policies.add("scissorhands", "Scissorhands: drop the m tokens least often pivotal in the last w steps",
               ScissorhandsPolicy::create);
  policies.add("tova", "TOVA: drop the token the last query attends least", TovaPolicy::create);
  policies.add("random", "random tokens (seeded): the floor", RandomPolicy::create);
}

}  // namespace attnlab
