#include "tasks/passkey_task.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "config/scalar.h"
#include "data/utf8.h"

namespace attnlab {

namespace {

const std::string kRepeatBlock =
    "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again. ";
const std::string kQuestion = "What is the pass key? The pass key is";

std::string needle(const std::string& key) {
  return "The pass key is " + key + ". Remember it. " + key + " is the pass key.";
}

}  // namespace

PasskeyTask::PasskeyTask(Options o, std::vector<uint8_t> corpus, std::string corpus_name)
    : o_(std::move(o)), corpus_(std::move(corpus)), corpus_name_(std::move(corpus_name)) {}

int32_t PasskeyTask::token_of(char32_t ch) {
  return ch == U'\n' || (ch >= 32 && ch <= 126) ? static_cast<int32_t>(ch) : kOther;
}

int64_t PasskeyTask::fixed_chars(int64_t num_digits) {
  // the key twice in the needle and once as the answer; three newlines around the needle, a space before the answer
  return static_cast<int64_t>(needle("").size() + kQuestion.size()) + 4 + 3 * num_digits;
}

int32_t PasskeyTask::depth_slice(int64_t cut, int64_t filler) {
  return static_cast<int32_t>(std::min<int64_t>(4, 5 * cut / filler));
}

std::shared_ptr<data::Task> PasskeyTask::create(const data::TaskContext& c) {
  Options o;
  cfg::MapReader r = c.reader();
  o.seq_len = r.integer("seq_len", o.seq_len);
  o.num_digits = r.integer("num_digits", o.num_digits);
  if (const cfg::Node* depth = r.child("depth"); depth && !(depth->is_scalar() && depth->text() == "random")) {
    std::optional<double> value;
    if (depth->is_scalar() && !depth->quoted()) value = cfg::parse_number(depth->text());
    if (!value)
      c.fail("depth", "expected a fraction in [0, 1] or random, got " +
                          (depth->is_scalar() ? "'" + depth->text() + "'" : std::string("a ") + depth->kind_name()));
    if (!(*value >= 0 && *value <= 1)) c.fail("depth", fmt::format("must be in [0, 1] (or random), got {}", *value));
    o.depth = value;
  }
  o.filler = r.choice("filler", o.filler, {"repeat", "corpus"});
  r.finish();
  if (o.seq_len < 1) c.fail("seq_len", fmt::format("must be >= 1, got {}", o.seq_len));
  if (o.num_digits < 1) c.fail("num_digits", fmt::format("must be >= 1, got {}", o.num_digits));
  if (o.num_digits > o.seq_len)
    c.fail("num_digits", fmt::format("must be <= seq_len ({}), got {}", o.seq_len, o.num_digits));
  const int64_t shortest = fixed_chars(o.num_digits);  // L + 1 characters with one of filler
  if (o.seq_len < shortest)
    c.fail("seq_len",
           fmt::format("must be >= {} for the needle, the question and a {}-digit key around some filler, got {}",
                       shortest, o.num_digits, o.seq_len));
  std::vector<uint8_t> tokens;
  std::string name;
  if (o.filler == "corpus") {
    const data::Corpus corpus = data::load_corpus(c.data);  // a missing corpus: its one-line UserError
    name = corpus.name;
    for (const auto& document : corpus.documents) {
      if (!tokens.empty()) tokens.push_back('\n');
      for (char32_t ch : data::decode_utf8(document)) tokens.push_back(static_cast<uint8_t>(token_of(ch)));
    }
    const int64_t need = o.seq_len + 1 - shortest;
    if (static_cast<int64_t>(tokens.size()) < need)
      c.fail("filler", fmt::format("corpus '{}' has {} characters, fewer than the {} filler characters of an example",
                                   name, tokens.size(), need));
  }
  return std::make_shared<PasskeyTask>(o, std::move(tokens), name);
}

data::TaskExample PasskeyTask::generate(data::TaskRng& rng) const {
  const int64_t L = o_.seq_len, n = o_.num_digits, F = filler_chars();
  const int64_t cut = o_.depth ? std::llround(*o_.depth * static_cast<double>(F)) : rng.range(0, F + 1);
  std::string key;
  for (int64_t i = 0; i < n; ++i) key += static_cast<char>('0' + rng.below(10));
  // one haystack of F characters, cut in two by the needle (landmark restarts the filler after it)
  const int64_t start = o_.filler == "corpus" ? rng.range(0, static_cast<int64_t>(corpus_.size()) - F + 1) : 0;
  auto haystack = [&](int64_t i) -> int32_t {
    if (o_.filler == "corpus") return corpus_[static_cast<size_t>(start + i)];
    return static_cast<unsigned char>(kRepeatBlock[static_cast<size_t>(i) % kRepeatBlock.size()]);
  };
  std::vector<int32_t> text;
  text.reserve(static_cast<size_t>(L + 1));
  auto put = [&](const std::string& s) {
    for (char ch : s) text.push_back(static_cast<unsigned char>(ch));
  };
  for (int64_t i = 0; i < cut; ++i) text.push_back(haystack(i));
  put("\n" + needle(key) + "\n");
  for (int64_t i = cut; i < F; ++i) text.push_back(haystack(i));
  put("\n" + kQuestion + " " + key);

  data::TaskExample e;
  e.inputs.assign(text.begin(), text.begin() + L);
  e.labels.assign(static_cast<size_t>(L), data::kIgnore);
  if (!o_.depth) e.slices.assign(static_cast<size_t>(L), -1);
  for (int64_t t = L - n; t < L; ++t) {  // the answer is predicted one position before each digit
    e.labels[t] = text[t + 1];
    if (!o_.depth) e.slices[t] = depth_slice(cut, F);
  }
  return e;
}

std::vector<std::string> PasskeyTask::slice_names() const {
  if (o_.depth) return {};
  return {"depth 0.0-0.2", "depth 0.2-0.4", "depth 0.4-0.6", "depth 0.6-0.8", "depth 0.8-1.0"};
}

std::string PasskeyTask::summary() const {
  return fmt::format("{}-digit pass key at depth {} in {} filler characters ({}), L {}", o_.num_digits,
                     o_.depth ? fmt::format("{}", *o_.depth) : "random", filler_chars(),
                     o_.filler == "corpus" ? "corpus " + corpus_name_ : "repeated sentences", o_.seq_len);
}

}  // namespace attnlab
