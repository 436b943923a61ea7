#include "decode_bench.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <ostream>

#include "config/node.h"
#include "core/error.h"
#include "infer/cache_config.h"
#include "infer/decoder.h"
#include "infer/trained_run.h"
#include "run/run_job.h"

namespace attnlab::bench {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

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
  // prompts: `batch` validation windows
  auto [x, y] = run.validation_windows(batch);
  if (x.size(0) < batch || x.size(1) < prompt) {
    throw UserError(fmt::format("{}: the validation split gives {} windows of {} tokens; need {} of {}",
                                run.dir.string(), x.size(0), x.size(1), batch, prompt));
  }
  auto tokens = x.narrow(1, 0, prompt);  // [B, prompt]

  DecodeBenchRow row;
  auto start = Clock::now();
  auto logits = decoder.prefill(tokens).select(1, prompt - 1);  // [B, V]
  row.prefill_tokens_per_s = static_cast<double>(batch * prompt) / seconds_since(start);
  const double policy_before = decoder.policy_seconds();
  const int64_t steps = context - prompt;
  start = Clock::now();
  for (int64_t s = 0; s < steps; ++s) {
    auto next = logits.argmax(-1).unsqueeze(1);  // [B, 1] greedy
    logits = decoder.step(next);
    row.kv_bytes_peak = std::max(row.kv_bytes_peak, decoder.memory_bytes() / batch);
  }
  const double seconds = seconds_since(start);
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
    runs.push_back(TrainedRun::load(dir, config));
  }
  using Key = std::tuple<size_t, int64_t, int64_t, std::string>;  // run, batch, context, policy
  std::map<Key, std::vector<DecodeBenchRow>> samples;
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
  std::vector<DecodeBenchRow> rows;
  out << fmt::format("decode benchmark: prompt {} tokens, greedy steps to the context, ratio {} for evicting "
                     "policies, medians of {} interleaved rounds\n\n",
                     options.prompt, options.ratio, options.rounds);
  out << "| run | batch | context | policy | prefill tok/s | decode ms/step | decode tok/s | policy ms/step | "
         "KV bytes/seq (end) | KV bytes/seq (peak) |\n";
  out << "| :--- | ---: | ---: | :--- | ---: | ---: | ---: | ---: | ---: | ---: |\n";
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
    out << fmt::format("| {} | {} | {} | {} | {:.0f} | {:.3f} | {:.0f} | {:.3f} | {} | {} |\n", row.run, row.batch,
                       row.context, row.policy, row.prefill_tokens_per_s, row.ms_per_step, row.tokens_per_s,
                       row.policy_ms_per_step, row.kv_bytes_end, row.kv_bytes_peak);
    rows.push_back(row);
  }
  out << std::flush;
  return rows;
}

}  // namespace attnlab::bench
