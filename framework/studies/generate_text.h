#pragma once
/// `attnlab generate <run dir> --prompt "..." --max-new N`: text from a trained run, decoded
/// incrementally under an optional eviction policy and budget.

#include <iosfwd>
#include <string>
#include <vector>

#include "infer/generation.h"

namespace attnlab {

struct GenerateRequest {
  std::string run_dir;
  std::string prompt;
  int64_t max_new = 200;
  std::string policy = "full";         ///< a registered eviction policy
  int64_t budget = 0;                  ///< tokens per head; 0 = from ratio
  double ratio = 0.0;                  ///< compression ratio over prompt + new tokens; 0 = the policy file's
  std::vector<std::string> overrides;  ///< further cache.* / device / threads overrides
  SamplingOptions sampling;
  std::string config_dir;              ///< holds cache/<policy>.yaml
};

/// Prints the prompt followed by the generated text to `out`, and one line describing the cache
/// (policy, budget, peak memory) to `err`. Returns the exit code (0). UserError for an empty
/// prompt, max_new < 1, and the eval command's bad inputs.
int run_generate(const GenerateRequest& request, std::ostream& out, std::ostream& err);

}  // namespace attnlab
