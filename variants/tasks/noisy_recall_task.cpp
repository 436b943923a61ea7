#include "tasks/noisy_recall_task.h"

namespace attnlab {

std::shared_ptr<data::Task> NoisyRecallTask::create(const data::TaskContext& c) {
  Options o;
  o.vocab_size = 32;  // MAD's baseline: 16 key/value tokens plus 16 noise tokens
  o.noise_vocab_size = 16;
  o.frac_noise = 0.2;
  cfg::MapReader r = c.reader();
  o.vocab_size = r.integer("vocab_size", o.vocab_size);
  o.seq_len = r.integer("seq_len", o.seq_len);
  o.multi_query = r.boolean("multi_query", o.multi_query);
  o.noise_vocab_size = r.integer("noise_vocab_size", o.noise_vocab_size);
  o.frac_noise = r.number("frac_noise", o.frac_noise);
  r.finish();
  validate(c, o);
  return std::make_shared<NoisyRecallTask>(o);
}

}  // namespace attnlab
