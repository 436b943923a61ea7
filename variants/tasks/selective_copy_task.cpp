#include "tasks/selective_copy_task.h"

#include <fmt/format.h>

namespace attnlab {

SelectiveCopyTask::SelectiveCopyTask(Options o) : o_(o) {}

std::shared_ptr<data::Task> SelectiveCopyTask::create(const data::TaskContext& c) {
  Options o;
  cfg::MapReader r = c.reader();
  o.vocab_size = r.integer("vocab_size", o.vocab_size);
  o.seq_len = r.integer("seq_len", o.seq_len);
  o.num_tokens_to_copy = r.integer("num_tokens_to_copy", o.num_tokens_to_copy);
  o.selective = r.boolean("selective", o.selective);
  r.finish();
  if (o.vocab_size < 3)
    c.fail("vocab_size", fmt::format("must be >= 3 (data tokens, then blank and copy tokens), got {}", o.vocab_size));
  if (o.num_tokens_to_copy < 1) c.fail("num_tokens_to_copy", fmt::format("must be >= 1, got {}", o.num_tokens_to_copy));
  // n data tokens, at least one blank, the copy token and n answer positions (MAD: L > 2n + 1)
  const int64_t need = 2 * o.num_tokens_to_copy + 2;
  if (o.seq_len < need)
    c.fail("num_tokens_to_copy", fmt::format("{} tokens to copy need seq_len >= {}, got {}", o.num_tokens_to_copy, need,
                                             o.seq_len));
  return std::make_shared<SelectiveCopyTask>(o);
}

data::TaskExample SelectiveCopyTask::generate(data::TaskRng& rng) const {
  const int64_t L = o_.seq_len, n = o_.num_tokens_to_copy, blanks = L - 2 * n - 1;
  std::vector<int32_t> to_copy(static_cast<size_t>(n));
  for (auto& t : to_copy) t = static_cast<int32_t>(rng.below(o_.vocab_size - 2));
  // blanks_before[j]: the blanks placed right before data token j (plain copying: none)
  std::vector<int64_t> blanks_before(static_cast<size_t>(n), 0);
  if (o_.selective)
    for (int64_t b = 0; b < blanks; ++b) ++blanks_before[static_cast<size_t>(rng.below(n))];
  data::TaskExample e;
  e.inputs.reserve(static_cast<size_t>(L));
  for (int64_t j = 0; j < n; ++j) {
    e.inputs.insert(e.inputs.end(), static_cast<size_t>(blanks_before[static_cast<size_t>(j)]), blank_token());
    e.inputs.push_back(to_copy[static_cast<size_t>(j)]);
  }
  e.inputs.resize(static_cast<size_t>(L - n - 1), blank_token());  // plain copying: the blanks come after
  e.inputs.push_back(copy_token());
  e.inputs.resize(static_cast<size_t>(L), blank_token());
  e.labels.assign(static_cast<size_t>(L - n), data::kIgnore);
  e.labels.insert(e.labels.end(), to_copy.begin(), to_copy.end());
  return e;
}

double SelectiveCopyTask::chance_accuracy() const { return 1.0 / static_cast<double>(o_.vocab_size - 2); }

std::string SelectiveCopyTask::summary() const {
  return fmt::format("V {}, L {}, {} data tokens from [0, {}) {}, copied after token {}", o_.vocab_size, o_.seq_len,
                     o_.num_tokens_to_copy, o_.vocab_size - 2, o_.selective ? "among blanks" : "then blanks",
                     o_.vocab_size - 1);
}

}  // namespace attnlab
