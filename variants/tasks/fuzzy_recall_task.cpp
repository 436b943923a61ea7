#include "tasks/fuzzy_recall_task.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

namespace attnlab {

FuzzyRecallTask::FuzzyRecallTask(Options o) : o_(o) {}

int64_t FuzzyRecallTask::key_value_tokens() const {
  return o_.vocab_size - o_.noise_vocab_size - (o_.multi_query ? 1 : 2);
}

std::shared_ptr<data::Task> FuzzyRecallTask::create(const data::TaskContext& c) {
  Options o;
  cfg::MapReader r = c.reader();
  o.vocab_size = r.integer("vocab_size", o.vocab_size);
  o.seq_len = r.integer("seq_len", o.seq_len);
  o.k_motif_size = r.integer("k_motif_size", o.k_motif_size);
  o.v_motif_size = r.integer("v_motif_size", o.v_motif_size);
  o.multi_query = r.boolean("multi_query", o.multi_query);
  o.noise_vocab_size = r.integer("noise_vocab_size", o.noise_vocab_size);
  o.frac_noise = r.number("frac_noise", o.frac_noise);
  r.finish();
  if (o.k_motif_size < 1) c.fail("k_motif_size", fmt::format("must be >= 1, got {}", o.k_motif_size));
  if (o.v_motif_size < 1) c.fail("v_motif_size", fmt::format("must be >= 1, got {}", o.v_motif_size));
  if (o.noise_vocab_size < 0) c.fail("noise_vocab_size", fmt::format("must be >= 0, got {}", o.noise_vocab_size));
  if (!(o.frac_noise >= 0 && o.frac_noise < 1)) c.fail("frac_noise", fmt::format("must be in [0, 1), got {}", o.frac_noise));
  if (o.frac_noise > 0 && o.noise_vocab_size < 1)
    c.fail("noise_vocab_size", fmt::format("must be >= 1 when frac_noise > 0 ({}), got {}", o.frac_noise, o.noise_vocab_size));
  const int64_t S = o.vocab_size - o.noise_vocab_size - (o.multi_query ? 1 : 2);
  // a motif of n tokens holds n distinct tokens (MAD draws permutations)
  if (S / 2 < o.k_motif_size || S - S / 2 < o.v_motif_size)
    c.fail("vocab_size", fmt::format("{} leaves {} key and {} value tokens (after {} noise and {} special token(s)); "
                                     "k_motif_size {} and v_motif_size {} need that many distinct tokens",
                                     o.vocab_size, std::max<int64_t>(S / 2, 0), std::max<int64_t>(S - S / 2, 0),
                                     o.noise_vocab_size, o.multi_query ? 1 : 2, o.k_motif_size, o.v_motif_size));
  // the longest probe pair fits twice: once in the context, once at the end (after the copy token)
  const int64_t unit = o.k_motif_size + o.v_motif_size, need = 2 * unit + (o.multi_query ? 0 : 1) - 1;
  if (o.seq_len < need)
    c.fail("seq_len", fmt::format("must be >= {} for motifs of up to {} + {} tokens, got {}", need, o.k_motif_size,
                                  o.v_motif_size, o.seq_len));
  return std::make_shared<FuzzyRecallTask>(o);
}

data::TaskExample FuzzyRecallTask::generate(data::TaskRng& rng) const {
  using Motif = std::vector<int32_t>;
  const int64_t L = o_.seq_len, S = key_value_tokens(), nk = S / 2;
  const int64_t unit = o_.k_motif_size + o_.v_motif_size;
  const auto motif = [&rng](int64_t size, int64_t lo, int64_t hi) {
    Motif m;
    for (int64_t t : rng.distinct(lo, hi, size)) m.push_back(static_cast<int32_t>(t));
    return m;
  };
  const auto key_size = [&] { return 1 + rng.below(o_.k_motif_size); };
  const auto value_size = [&] { return 1 + rng.below(o_.v_motif_size); };

  std::map<Motif, Motif> value_of;  // the sequence's map
  std::set<Motif> seen;             // keys already in the stream
  std::vector<int32_t> stream, answer;  // answer[j]: stream[j] when it is scored, else kIgnore
  // multi_query scores every repeated key; otherwise only the final probe is asked
  const auto emit_pair = [&](const Motif& key, bool final_probe) {
    const Motif& value = value_of.at(key);
    const bool scored = seen.count(key) > 0 && (o_.multi_query || final_probe);
    seen.insert(key);
    for (int32_t t : key) stream.push_back(t), answer.push_back(data::kIgnore);
    for (int32_t t : value) stream.push_back(t), answer.push_back(scored ? t : data::kIgnore);
  };

  const Motif probe = motif(key_size(), 0, nk);
  value_of[probe] = motif(value_size(), nk, S);
  const auto probe_len = static_cast<int64_t>(probe.size() + value_of[probe].size());
  // the stream has L + 1 tokens (inputs are the first L); the context gets what the final probe leaves
  const int64_t budget = L + 1 - (o_.multi_query ? 0 : 1) - probe_len;
  const int64_t probe_at = rng.below(budget - probe_len + 1);
  bool probe_placed = false;
  while (true) {
    if (!probe_placed && static_cast<int64_t>(stream.size()) >= probe_at) {
      emit_pair(probe, false);
      probe_placed = true;
      continue;
    }
    // keep room for the longest unit (and for the probe pair until it is placed)
    if (static_cast<int64_t>(stream.size()) + unit > budget - (probe_placed ? 0 : probe_len)) break;
    const int64_t ks = key_size(), vs = value_size();
    if (o_.frac_noise > 0 && rng.uniform() < o_.frac_noise) {
      for (int64_t i = 0; i < ks + vs; ++i) {
        stream.push_back(static_cast<int32_t>(S + rng.below(o_.noise_vocab_size)));
        answer.push_back(data::kIgnore);
      }
      continue;
    }
    const Motif key = motif(ks, 0, nk);
    if (!value_of.count(key)) value_of[key] = motif(vs, nk, S);
    emit_pair(key, false);
  }
  if (!probe_placed) emit_pair(probe, false);
  if (!o_.multi_query) {
    stream.push_back(static_cast<int32_t>(o_.vocab_size - 1));
    answer.push_back(data::kIgnore);
  }
  emit_pair(probe, true);  // seen before, so its value is scored in both modes

  const auto pad = static_cast<size_t>(L + 1) - stream.size();
  data::TaskExample e;
  e.inputs.assign(pad, pad_token());
  e.inputs.insert(e.inputs.end(), stream.begin(), stream.end() - 1);
  e.labels.assign(pad, data::kIgnore);
  e.labels.insert(e.labels.end(), answer.begin(), answer.end());
  e.labels.erase(e.labels.begin());  // the answer of stream[j] is predicted at position j - 1
  return e;
}

double FuzzyRecallTask::chance_accuracy() const {
  const int64_t S = key_value_tokens();
  return 1.0 / static_cast<double>(S - S / 2);
}

std::string FuzzyRecallTask::summary() const {
  const int64_t S = key_value_tokens();
  std::string s = fmt::format("V {}, L {}, keys of 1-{} tokens from [0, {}), values of 1-{} from [{}, {}), {}",
                              o_.vocab_size, o_.seq_len, o_.k_motif_size, S / 2, o_.v_motif_size, S / 2, S,
                              o_.multi_query ? "multi-query" : "one probe after a copy token");
  if (o_.frac_noise > 0)
    s += fmt::format(", noise [{}, {}) in {:.0f}% of the units", S, S + o_.noise_vocab_size, 100 * o_.frac_noise);
  return s;
}

}  // namespace attnlab
