#include "studies/generate_text.h"

#include <fmt/format.h>

#include <ostream>

#include "core/error.h"
#include "studies/budget_study.h"
#include "studies/trained_run.h"

namespace attnlab {

int run_generate(const GenerateRequest& request, std::ostream& out, std::ostream& err) {
  if (request.max_new < 1) throw UserError("--max-new must be at least 1, got " + std::to_string(request.max_new));
  if (request.sampling.temperature < 0) throw UserError("--temperature must be >= 0 (0 = greedy)");
  if (request.sampling.top_k < 0) throw UserError("--top-k must be >= 0 (0 = all tokens)");
  std::vector<std::string> overrides = {"cache=" + request.policy};
  if (request.budget > 0) overrides.push_back("cache.budget=" + std::to_string(request.budget));
  if (request.ratio > 0) overrides.push_back(fmt::format("cache.ratio={}", request.ratio));
  overrides.insert(overrides.end(), request.overrides.begin(), request.overrides.end());

  cfg::Node root = compose_eval_config(TrainedRun::read_config(request.run_dir), overrides, request.config_dir);
  const CacheConfig cache = CacheConfig::from_config(*root.find("cache"));
  root.erase("cache");
  TrainedRun run = TrainedRun::load(request.run_dir, RunConfig::from_config(root));

  std::vector<int64_t> prompt;
  for (int32_t id : run.data.tokenizer->encode(request.prompt)) prompt.push_back(id);
  if (prompt.empty()) throw UserError("--prompt must hold at least one token");
  const int64_t context_len = static_cast<int64_t>(prompt.size()) + request.max_new;
  DecoderOptions options;
  options.max_prefill = static_cast<int64_t>(prompt.size());
  Decoder decoder = Decoder::from_config(run.model, cache, context_len, options);

  const std::vector<int64_t> generated = generate(decoder, prompt, request.max_new, request.sampling);
  const int64_t held = decoder.memory_bytes();  // the cache after the last step
  std::vector<int32_t> ids(generated.begin(), generated.end());
  out << request.prompt << run.data.tokenizer->decode(ids) << std::endl;

  std::string cache_line;
  if (!decoder.has_kv_layers()) {
    cache_line = "no layer holds a KV cache (recurrent state): the policy and budget do not apply";
  } else if (!cache.policy->evicts()) {
    cache_line = fmt::format("policy full (no eviction, {} tokens)", context_len);
  } else {
    cache_line = fmt::format("policy {} | budget {} tokens per head of {} (ratio {:.2f})", cache.policy_name,
                             cache.budget.nominal(context_len), context_len, cache.budget.effective_ratio(context_len));
  }
  err << fmt::format("generate {} new tokens from a {}-token prompt | {} | cache {:.1f} KiB at the end", request.max_new,
                     prompt.size(), cache_line, static_cast<double>(held) / 1024.0)
      << std::endl;
  return 0;
}

}  // namespace attnlab
