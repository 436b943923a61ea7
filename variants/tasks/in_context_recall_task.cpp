#include "tasks/in_context_recall_task.h"

#include <fmt/format.h>

#include "tasks/noise_units.h"

namespace attnlab {

InContextRecallTask::InContextRecallTask(Options o) : o_(o) {}

int64_t InContextRecallTask::key_value_tokens() const {
  return o_.vocab_size - o_.noise_vocab_size - (o_.multi_query ? 0 : 1);
}

void InContextRecallTask::validate(const data::TaskContext& c, const Options& o) {
  if (o.seq_len < 4 || o.seq_len % 2)
    c.fail("seq_len", fmt::format("must be even and >= 4 (a key-value pair, then the probe), got {}", o.seq_len));
  if (o.noise_vocab_size < 0) c.fail("noise_vocab_size", fmt::format("must be >= 0, got {}", o.noise_vocab_size));
  if (!(o.frac_noise >= 0 && o.frac_noise < 1)) c.fail("frac_noise", fmt::format("must be in [0, 1), got {}", o.frac_noise));
  if (o.frac_noise > 0 && o.noise_vocab_size < 1)
    c.fail("noise_vocab_size", fmt::format("must be >= 1 when frac_noise > 0 ({}), got {}", o.frac_noise, o.noise_vocab_size));
  const int64_t kv = o.vocab_size - o.noise_vocab_size - (o.multi_query ? 0 : 1);
  if (kv < 2)
    c.fail("vocab_size", fmt::format("{} leaves {} key/value tokens after {} noise token(s){}; need >= 2 (one key, one value)",
                                     o.vocab_size, kv, o.noise_vocab_size, o.multi_query ? "" : " and the copy token"));
}

std::shared_ptr<data::Task> InContextRecallTask::create(const data::TaskContext& c) {
  Options o;
  cfg::MapReader r = c.reader();
  o.vocab_size = r.integer("vocab_size", o.vocab_size);
  o.seq_len = r.integer("seq_len", o.seq_len);
  o.multi_query = r.boolean("multi_query", o.multi_query);
  r.finish();
  validate(c, o);
  return std::make_shared<InContextRecallTask>(o);
}

data::TaskExample InContextRecallTask::generate(data::TaskRng& rng) const {
  const int64_t L = o_.seq_len, S = key_value_tokens(), half = S / 2;
  const int64_t units = L / 2 - 1;  // context units before the probe
  data::TaskExample e;
  e.inputs.assign(static_cast<size_t>(L), 0);
  e.labels.assign(static_cast<size_t>(L), data::kIgnore);
  // the sequence's key -> value map; -1: the key has not appeared yet
  std::vector<int32_t> value_of(static_cast<size_t>(half), -1);
  // one unit is never noise, so the probe always has a key to ask (MAD draws it the same way)
  const int64_t kept = o_.frac_noise > 0 ? rng.below(units) : -1;
  for (int64_t i = 0; i < units; ++i) {
    const auto pos = static_cast<size_t>(2 * i);
    if (fill_noise_unit(rng, o_.frac_noise, i, kept, S, o_.noise_vocab_size, e.inputs, pos)) continue;
    const int64_t key = rng.below(half);
    int32_t& value = value_of[static_cast<size_t>(key)];
    if (value < 0) {
      value = static_cast<int32_t>(half + rng.below(S - half));
    } else if (o_.multi_query) {
      e.labels[pos] = value;  // a repeated key: its value is recallable
    }
    e.inputs[pos] = static_cast<int32_t>(key);
    e.inputs[pos + 1] = value;
  }
  std::vector<int32_t> seen;
  for (size_t k = 0; k < value_of.size(); ++k)
    if (value_of[k] >= 0) seen.push_back(static_cast<int32_t>(k));
  const int32_t probe = seen[static_cast<size_t>(rng.below(static_cast<int64_t>(seen.size())))];
  const int32_t answer = value_of[static_cast<size_t>(probe)];
  if (o_.multi_query) {
    e.inputs[static_cast<size_t>(L - 2)] = probe;
    e.inputs[static_cast<size_t>(L - 1)] = answer;
    e.labels[static_cast<size_t>(L - 2)] = answer;
  } else {
    e.inputs[static_cast<size_t>(L - 2)] = static_cast<int32_t>(o_.vocab_size - 1);
    e.inputs[static_cast<size_t>(L - 1)] = probe;
    e.labels[static_cast<size_t>(L - 1)] = answer;
  }
  return e;
}

double InContextRecallTask::chance_accuracy() const {
  const int64_t S = key_value_tokens();
  return 1.0 / static_cast<double>(S - S / 2);
}

std::string InContextRecallTask::summary() const {
  const int64_t S = key_value_tokens();
  std::string s = fmt::format("V {}, L {}, keys [0, {}), values [{}, {}), {}", o_.vocab_size, o_.seq_len, S / 2, S / 2, S,
                              o_.multi_query ? "multi-query" : "one probe after a copy token");
  if (o_.noise_vocab_size > 0)
    s += fmt::format(", noise [{}, {}) in {:.0f}% of the units", S, S + o_.noise_vocab_size, 100 * o_.frac_noise);
  return s;
}

}  // namespace attnlab
