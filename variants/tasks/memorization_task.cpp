#include "tasks/memorization_task.h"

#include <fmt/format.h>

#include "tasks/noise_units.h"

namespace attnlab {

namespace {
// the map's own stream, apart from the examples' (data.task.seed, split 0 or 1, index)
constexpr uint64_t kMapStream = 0x6d656d6f72697a65ULL;  // "memorize"
}  // namespace

MemorizationTask::MemorizationTask(Options o, uint64_t map_seed) : o_(o) {
  const int64_t S = o_.vocab_size - 1 - o_.noise_vocab_size, keys = S / 2;
  data::TaskRng rng(map_seed, kMapStream);
  for (int64_t v : rng.distinct(keys, S, keys)) value_of_.push_back(static_cast<int32_t>(v));
}

std::shared_ptr<data::Task> MemorizationTask::create(const data::TaskContext& c) {
  Options o;
  cfg::MapReader r = c.reader();
  o.vocab_size = r.integer("vocab_size", o.vocab_size);
  o.seq_len = r.integer("seq_len", o.seq_len);
  o.noise_vocab_size = r.integer("noise_vocab_size", o.noise_vocab_size);
  o.frac_noise = r.number("frac_noise", o.frac_noise);
  r.finish();
  if (o.seq_len < 2 || o.seq_len % 2) c.fail("seq_len", fmt::format("must be even and >= 2, got {}", o.seq_len));
  if (o.noise_vocab_size < 0) c.fail("noise_vocab_size", fmt::format("must be >= 0, got {}", o.noise_vocab_size));
  // MAD allows frac_noise = 1 here: one unit is always a key
  if (!(o.frac_noise >= 0 && o.frac_noise <= 1)) c.fail("frac_noise", fmt::format("must be in [0, 1], got {}", o.frac_noise));
  if (o.frac_noise > 0 && o.noise_vocab_size < 1)
    c.fail("noise_vocab_size", fmt::format("must be >= 1 when frac_noise > 0 ({}), got {}", o.frac_noise, o.noise_vocab_size));
  const int64_t S = o.vocab_size - 1 - o.noise_vocab_size;
  if (S < 2)
    c.fail("vocab_size", fmt::format("{} leaves {} key/value tokens after {} noise token(s) and INSERT; need >= 2 "
                                     "(one key, one value)", o.vocab_size, S, o.noise_vocab_size));
  return std::make_shared<MemorizationTask>(o, c.seed);
}

data::TaskExample MemorizationTask::generate(data::TaskRng& rng) const {
  const int64_t L = o_.seq_len, units = L / 2, S = o_.vocab_size - 1 - o_.noise_vocab_size;
  const auto keys = static_cast<int64_t>(value_of_.size());
  data::TaskExample e;
  e.inputs.assign(static_cast<size_t>(L), insert_token());
  e.labels.assign(static_cast<size_t>(L), data::kIgnore);
  const int64_t kept = o_.frac_noise > 0 ? rng.below(units) : -1;
  for (int64_t i = 0; i < units; ++i) {
    const auto pos = static_cast<size_t>(2 * i);
    if (fill_noise_unit(rng, o_.frac_noise, i, kept, S, o_.noise_vocab_size, e.inputs, pos)) continue;
    const int64_t key = rng.below(keys);
    e.inputs[pos] = static_cast<int32_t>(key);  // inputs[pos + 1] stays INSERT
    e.labels[pos + 1] = value_of_[static_cast<size_t>(key)];
  }
  return e;
}

// a model that knows the values but not the map guesses one of the S/2 mapped values
double MemorizationTask::chance_accuracy() const { return 1.0 / static_cast<double>(value_of_.size()); }

std::string MemorizationTask::summary() const {
  const int64_t S = o_.vocab_size - 1 - o_.noise_vocab_size;
  std::string s = fmt::format("V {}, L {}, fixed map of {} keys [0, {}) to values in [{}, {}), INSERT {}", o_.vocab_size,
                              o_.seq_len, S / 2, S / 2, S / 2, S, o_.vocab_size - 1);
  if (o_.frac_noise > 0)
    s += fmt::format(", noise [{}, {}) in {:.0f}% of the units", S, S + o_.noise_vocab_size, 100 * o_.frac_noise);
  return s;
}

}  // namespace attnlab
