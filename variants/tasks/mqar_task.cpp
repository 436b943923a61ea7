#include "tasks/mqar_task.h"

#include <fmt/format.h>

#include <cmath>

namespace attnlab {

MqarTask::MqarTask(Options o) : o_(o) {
  const int64_t space = (o_.seq_len - 2 * o_.num_kv_pairs * o_.num_passes) / 2;
  for (int64_t i = 1; i <= space; ++i) gap_weights_.push_back(o_.power_a * std::pow(static_cast<double>(i), o_.power_a - 1));
}

std::shared_ptr<data::Task> MqarTask::create(const data::TaskContext& c) {
  Options o;
  cfg::MapReader r = c.reader();
  o.vocab_size = r.integer("vocab_size", o.vocab_size);
  o.seq_len = r.integer("seq_len", o.seq_len);
  o.num_kv_pairs = r.integer("num_kv_pairs", o.num_kv_pairs);
  o.power_a = r.number("power_a", o.power_a);
  o.num_passes = r.integer("num_passes", o.num_passes);
  o.queries_per_key = r.integer("queries_per_key", o.queries_per_key);
  r.finish();
  if (o.num_kv_pairs < 1) c.fail("num_kv_pairs", fmt::format("must be >= 1, got {}", o.num_kv_pairs));
  if (o.num_passes < 1) c.fail("num_passes", fmt::format("must be >= 1, got {}", o.num_passes));
  if (o.queries_per_key < 1) c.fail("queries_per_key", fmt::format("must be >= 1, got {}", o.queries_per_key));
  if (!(o.power_a > 0 && o.power_a <= 1)) c.fail("power_a", fmt::format("must be in (0, 1], got {}", o.power_a));
  if (o.seq_len < 2 || o.seq_len % 2) c.fail("seq_len", fmt::format("must be even and >= 2, got {}", o.seq_len));
  if (o.vocab_size / 2 - 1 < o.num_kv_pairs || o.vocab_size - o.vocab_size / 2 < o.num_kv_pairs)
    c.fail("vocab_size", fmt::format("{} is too small for {} distinct keys in [1, V/2) and values in [V/2, V)", o.vocab_size,
                                     o.num_kv_pairs));
  const int64_t block = 2 * o.num_kv_pairs * o.num_passes, queries = o.num_kv_pairs * o.queries_per_key;
  if (block + 2 * queries > o.seq_len)
    c.fail("num_kv_pairs", fmt::format("{} pairs x {} passes and {} queries need seq_len >= {}, got {}", o.num_kv_pairs,
                                       o.num_passes, queries, block + 2 * queries, o.seq_len));
  return std::make_shared<MqarTask>(o);
}

data::TaskExample MqarTask::generate(data::TaskRng& rng) const {
  const int64_t N = o_.num_kv_pairs, V = o_.vocab_size, L = o_.seq_len, half = V / 2;
  const int64_t block = 2 * N * o_.num_passes;
  const std::vector<int64_t> keys = rng.distinct(1, half, N), values = rng.distinct(half, V, N);
  data::TaskExample e;
  e.inputs.assign(static_cast<size_t>(L), 0);
  e.labels.assign(static_cast<size_t>(L), data::kIgnore);
  e.slices.assign(static_cast<size_t>(L), -1);
  for (int64_t pass = 0; pass < o_.num_passes; ++pass) {
    for (int64_t j = 0; j < N; ++j) {
      e.inputs[static_cast<size_t>(pass * 2 * N + 2 * j)] = static_cast<int32_t>(keys[j]);
      e.inputs[static_cast<size_t>(pass * 2 * N + 2 * j + 1)] = static_cast<int32_t>(values[j]);
    }
  }
  // which key each query asks: key j, q times each, in random order (q = 1: key j gets gap j)
  std::vector<int64_t> asked;
  for (int64_t q = 0; q < o_.queries_per_key; ++q)
    for (int64_t j = 0; j < N; ++j) asked.push_back(j);
  if (o_.queries_per_key > 1) rng.shuffle(asked);
  const std::vector<int64_t> gaps = rng.weighted_distinct(gap_weights_, static_cast<int64_t>(asked.size()));
  for (size_t i = 0; i < asked.size(); ++i) {
    const int64_t pos = block + 2 * gaps[i], j = asked[i];
    e.inputs[static_cast<size_t>(pos)] = static_cast<int32_t>(keys[j]);
    e.labels[static_cast<size_t>(pos)] = static_cast<int32_t>(values[j]);
    e.slices[static_cast<size_t>(pos)] = distance_slice(pos - (block - 2 * N + 2 * j));  // from the key's last pass
  }
  // the remaining zeros become random tokens (Zoology's random_non_queries)
  for (auto& token : e.inputs)
    if (token == 0) token = static_cast<int32_t>(rng.below(V));
  return e;
}

int32_t MqarTask::distance_slice(int64_t distance) {
  int32_t bucket = 0;
  for (int64_t edge = 16; distance >= edge; edge *= 2) ++bucket;
  return bucket;
}

std::vector<std::string> MqarTask::slice_names() const {
  std::vector<std::string> names;
  for (int64_t lo = 1, hi = 16; lo < o_.seq_len; lo = hi, hi *= 2)
    names.push_back(fmt::format("dist {}-{}", lo, std::min(hi, o_.seq_len) - 1));
  return names;
}

double MqarTask::chance_accuracy() const { return 1.0 / static_cast<double>(o_.vocab_size - o_.vocab_size / 2); }

std::string MqarTask::summary() const {
  return fmt::format("V {}, L {}, {} pairs, power_a {}, {} pass(es), {} queries per key", o_.vocab_size, o_.seq_len,
                     o_.num_kv_pairs, o_.power_a, o_.num_passes, o_.queries_per_key);
}

}  // namespace attnlab
