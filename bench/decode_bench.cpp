#include "decode_bench.h"

#include <fmt/format.h>
#include <torch/csrc/autograd/profiler_legacy.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <ostream>

#include <sys/resource.h>

#include "config/node.h"
#include "core/error.h"
#include "infer/cache_config.h"
#include "infer/decoder.h"
#include "studies/trained_run.h"
#include "run/run_job.h"

namespace attnlab::bench {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

double peak_rss_mib() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

CacheConfig cache_for(const std::string& policy, double ratio) {
  cfg::Node node = cfg::Node::map();
  node["name"] = cfg::Node::scalar(policy);
  node["ratio"] = cfg::Node::scalar(fmt::format("{}", policy == "full" ? 1.0 : ratio));
  return CacheConfig::from_config(node, "--policies");
}

/// One measurement of one setting.
DecodeBenchRow measure(TrainedRun& run, const std::string& policy, double ratio, int64_t batch, int64_t context,
                       int64_t prompt) {
  torch::NoGradGuard no_grad;
  const CacheConfig cache = cache_for(policy, ratio);
  DecoderOptions decoder_options;
  decoder_options.max_prefill = prompt;
  Decoder decoder = Decoder::from_config(run.model, cache, context, decoder_options);
  // prompts: `batch` validation windows, or a probe task's first test examples
  const torch::Tensor x = run.eval_set(batch).x;  // [N, L]
  if (x.size(0) < batch || x.size(1) < prompt) {
    throw UserError(fmt::format("{}: the validation split gives {} windows of {} tokens; need {} of {}",
                                run.dir.string(), x.size(0), x.size(1), batch, prompt));
  }
  auto tokens = x.narrow(0, 0, batch).narrow(1, 0, prompt);  // [B, prompt] (a task gives its whole test set)

  DecodeBenchRow row;
  auto start = Clock::now();
  auto logits = decoder.prefill(tokens).select(1, prompt - 1);  // [B, V]
  row.prefill_tokens_per_s = static_cast<double>(batch * prompt) / seconds_since(start);
  const double policy_before = decoder.policy_seconds();
  const int64_t steps = context - prompt;
  int64_t cache_tokens = 0;
  start = Clock::now();
  for (int64_t s = 0; s < steps; ++s) {
    auto next = logits.argmax(-1).unsqueeze(1);  // [B, 1] greedy
    logits = decoder.step(next);
    row.kv_bytes_peak = std::max(row.kv_bytes_peak, decoder.memory_bytes() / batch);
    row.bookkeeping_bytes_peak = std::max(row.bookkeeping_bytes_peak, decoder.bookkeeping_bytes() / batch);
    cache_tokens += decoder.max_cache_size();
  }
  const double seconds = seconds_since(start);
  row.mean_cache_tokens = static_cast<double>(cache_tokens) / static_cast<double>(steps);
  row.peak_rss_mib = peak_rss_mib();
  row.ms_per_step = 1e3 * seconds / static_cast<double>(steps);
  row.tokens_per_s = static_cast<double>(batch * steps) / seconds;
  row.policy_ms_per_step = 1e3 * (decoder.policy_seconds() - policy_before) / static_cast<double>(steps);
  row.kv_bytes_end = decoder.memory_bytes() / batch;
  return row;
}

}  // namespace

std::vector<DecodeBenchRow> run_decode_bench(const DecodeBenchOptions& options, std::ostream& out) {
  if (options.runs.empty()) throw UserError("decode: give at least one run directory");
  for (int64_t context : options.contexts) {
    if (context <= options.prompt) {
      throw UserError(fmt::format("--contexts: {} must exceed --prompt {}", context, options.prompt));
    }
  }
  configure_threads(options.threads);
  std::vector<TrainedRun> runs;
  for (const auto& dir : options.runs) {
    cfg::Node root = TrainedRun::read_config(dir);
    root.erase("cache");
    RunConfig config = RunConfig::from_config(root);
    config.threads = options.threads;
    config.device = "cpu";
    runs.push_back(TrainedRun::load(dir, config, /*allow_task=*/true));
    runs.back().config.train.seq_len = options.prompt;  // prompts: validation windows of exactly --prompt tokens
  }
  using Key = std::tuple<size_t, int64_t, int64_t, std::string>;  // run, batch, context, policy
  std::map<Key, std::vector<DecodeBenchRow>> samples;
  // warm-up (discarded): thread pool start, first allocations
  measure(runs.front(), "full", options.ratio, options.batches.front(), options.prompt + 8, options.prompt);
  std::unique_ptr<torch::autograd::profiler::RecordProfile> profile;
  if (!options.profile.empty()) profile = std::make_unique<torch::autograd::profiler::RecordProfile>(options.profile);
  for (int64_t round = 0; round < options.rounds; ++round) {
    for (size_t r = 0; r < runs.size(); ++r)
      for (int64_t batch : options.batches)
        for (int64_t context : options.contexts)
          for (const auto& policy : options.policies) {
            DecodeBenchRow row = measure(runs[r], policy, options.ratio, batch, context, options.prompt);
            row.run = options.runs[r], row.policy = policy, row.batch = batch, row.context = context;
            samples[{r, batch, context, policy}].push_back(row);
          }
  }
  profile.reset();  // writes the trace
  std::vector<DecodeBenchRow> rows;
  for (auto& [key, list] : samples) {
    auto pick = [&](auto field) {
      std::vector<double> values;
      for (const auto& s : list) values.push_back(field(s));
      return median(values);
    };
    DecodeBenchRow row = list.front();
    row.prefill_tokens_per_s = pick([](const DecodeBenchRow& s) { return s.prefill_tokens_per_s; });
    row.ms_per_step = pick([](const DecodeBenchRow& s) { return s.ms_per_step; });
    row.tokens_per_s = pick([](const DecodeBenchRow& s) { return s.tokens_per_s; });
    row.policy_ms_per_step = pick([](const DecodeBenchRow& s) { return s.policy_ms_per_step; });
    row.peak_rss_mib = list.back().peak_rss_mib;
    rows.push_back(row);
  }
  if (options.jsonl) {
    for (const auto& row : rows) {
      out << fmt::format(
          "{{\"run\": \"{}\", \"batch\": {}, \"context\": {}, \"policy\": \"{}\", \"prefill_tokens_per_s\": {}, "
          "\"ms_per_step\": {}, \"tokens_per_s\": {}, \"policy_ms_per_step\": {}, \"mean_cache_tokens\": {}, "
          "\"kv_bytes_end\": {}, \"kv_bytes_peak\": {}, \"bookkeeping_bytes_peak\": {}, \"peak_rss_mib\": {}}}\n",
          row.run, row.batch, row.context, row.policy, row.prefill_tokens_per_s, row.ms_per_step, row.tokens_per_s,
          row.policy_ms_per_step, row.mean_cache_tokens, row.kv_bytes_end, row.kv_bytes_peak,
          row.bookkeeping_bytes_peak, row.peak_rss_mib);
    }
  } else {
    out << fmt::format("decode benchmark: prompt {} tokens, greedy steps to the context, ratio {} for evicting "
                       "policies, medians of {} interleaved rounds\n\n",
                       options.prompt, options.ratio, options.rounds);
    out << "| run | batch | context | policy | prefill tok/s | decode ms/step | decode tok/s | policy ms/step | "
           "mean cache tokens | KV bytes/seq (end) | KV bytes/seq (peak) | bookkeeping bytes/seq (peak) | peak RSS MiB |\n";
    out << "| :--- | ---: | ---: | :--- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n";
    for (const auto& row : rows) {
      out << fmt::format("| {} | {} | {} | {} | {:.0f} | {:.3f} | {:.0f} | {:.3f} | {:.1f} | {} | {} | {} | {:.1f} |\n",
                         row.run, row.batch, row.context, row.policy, row.prefill_tokens_per_s, row.ms_per_step,
                         row.tokens_per_s, row.policy_ms_per_step, row.mean_cache_tokens, row.kv_bytes_end,
                         row.kv_bytes_peak, row.bookkeeping_bytes_peak, row.peak_rss_mib);
    }
  }
  out << std::flush;
  return rows;
}

}  // namespace attnlab::bench
