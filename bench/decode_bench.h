#pragma once
/// Decoding throughput and memory of trained runs: prefill a prompt from the validation split,
/// then decode greedily one token per step, for every (run, batch, context, policy) setting,
/// interleaved over rounds (medians reported), so machine noise hits every setting alike.

#include <iosfwd>
#include <string>
#include <vector>

namespace attnlab::bench {

struct DecodeBenchOptions {
  std::vector<std::string> runs;                         ///< trained run directories
  std::vector<int64_t> batches = {1, 8};                 ///< sequences decoded together
  std::vector<int64_t> contexts = {256};                 ///< total tokens per sequence (prompt + decoded)
  std::vector<std::string> policies = {"full", "scissorhands"};  ///< eviction policies
  double ratio = 5.0;                                    ///< compression ratio of every evicting policy
  int64_t prompt = 32;                                   ///< prefill length
  int64_t rounds = 3;                                    ///< interleaved repetitions
  int64_t threads = 0;                                   ///< cores (0 = all): configure_threads() in run/run_job.h
  std::string profile;                                   ///< non-empty: LibTorch profiler trace of the rounds (JSON)
  bool jsonl = false;                                    ///< one JSON object per row instead of Markdown
};

/// One setting's medians.
struct DecodeBenchRow {
  std::string run, policy;
  int64_t batch = 0, context = 0;
  double prefill_tokens_per_s = 0;  ///< prompt tokens x batch / prefill seconds
  double ms_per_step = 0;           ///< wall ms per decode step (one token for every row of the batch)
  double tokens_per_s = 0;          ///< decoded tokens (all rows) per second
  double policy_ms_per_step = 0;    ///< of ms_per_step: time in the policy's observe + compress
  int64_t kv_bytes_end = 0;         ///< decoding memory per sequence after the last step
  int64_t kv_bytes_peak = 0;        ///< its maximum over the steps
  int64_t bookkeeping_bytes_peak = 0;  ///< per sequence: the caches' positions, scores, token history (max over steps)
  double mean_cache_tokens = 0;     ///< tokens per head of the fullest KV layer, averaged over the steps
  double peak_rss_mib = 0;          ///< the process's peak resident memory after this setting (monotonic:
                                    ///< meaningful per setting only when a process runs one setting)
};

/// Runs the benchmark, prints a Markdown table (or JSON lines) to `out` and returns the rows.
std::vector<DecodeBenchRow> run_decode_bench(const DecodeBenchOptions& options, std::ostream& out);

}  // namespace attnlab::bench
