// The passkey task (Mohtashami & Jaggi 2023): the text layout, a naive solver that reads the key
// after "The pass key is", the needle's depth, corpus filler, determinism and option errors.

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include "config/yaml_loader.h"
#include "core/build_info.h"
#include "corpus_task_test_util.h"
#include "data/utf8.h"
#include "support/catch.h"
#include "support/temp_dir.h"
#include "tasks/passkey_task.h"

using namespace attnlab;
using attnlab::testing::TempDir;

namespace {

// The task's definition, written out again here.
const std::string kBlock = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.";
const std::string kQuestion = "What is the pass key? The pass key is";
std::string needle_of(const std::string& key) {
  return "The pass key is " + key + ". Remember it. " + key + " is the pass key.";
}
/// F: what is left of L + 1 characters for the filler.
int64_t filler_of(int64_t L, int64_t n) {
  return L + 1 - static_cast<int64_t>(needle_of(std::string(static_cast<size_t>(n), '0')).size() + kQuestion.size()) -
         4 - n;
}
/// The filler of `repeat`: the block repeated, joined by spaces.
std::string repeated(int64_t chars) {
  std::string s;
  while (static_cast<int64_t>(s.size()) < chars) s += kBlock + " ";
  return s.substr(0, static_cast<size_t>(chars));
}
/// A corpus's characters as the task's tokens, as a string: ASCII as is, anything else 127.
std::string as_tokens(const std::string& text) {
  std::string s;
  for (char32_t ch : data::decode_utf8(text))
    s += ch == U'\n' || (ch >= 32 && ch <= 126) ? static_cast<char>(ch) : '\x7f';
  return s;
}
std::string decode(const std::vector<int32_t>& tokens) {
  std::string s;
  for (int32_t t : tokens) s += static_cast<char>(t);
  return s;
}

std::shared_ptr<PasskeyTask> passkey(const std::string& path, const std::string& options) {
  return testing::make_corpus_task<PasskeyTask>(PasskeyTask::create, path, "name: passkey\n" + options);
}
std::string passkey_error(const std::string& path, const std::string& options) {
  return testing::corpus_task_error(PasskeyTask::create, path, "name: passkey\n" + options);
}

/// ~3 KB of prose with non-ASCII characters and a tab (which become token 127).
std::string prose() {
  std::string text;
  for (int i = 0; i < 12; ++i)
    text += "Call me Ishmael " + std::to_string(i) +
            ". Some years ago \u2014 never mind how long \u2014 I went to sea;\t"
            "the caf\u00e9 by the wharf was closed, and the whale's spout rose white.\n";
  return text;
}

/// What a naive reader of one example finds. `ok` is false when the layout is not the task's.
struct Parsed {
  bool ok = false;
  std::string key;            // the digits after the first "The pass key is "
  int64_t cut = -1;           // filler characters before the needle
  std::string before, after;  // the filler on either side
};

Parsed parse(const data::TaskExample& e, int64_t n) {
  Parsed p;
  const std::string s = decode(e.inputs);
  const size_t at = s.find("The pass key is ");
  if (at == std::string::npos || at == 0 || s[at - 1] != '\n') return p;
  p.key = s.substr(at + 16, static_cast<size_t>(n));
  if (static_cast<int64_t>(p.key.size()) != n || !std::all_of(p.key.begin(), p.key.end(), ::isdigit)) return p;
  const std::string needle = needle_of(p.key);
  if (s.compare(at, needle.size(), needle) != 0 || s.find(needle, at + 1) != std::string::npos) return p;
  const std::string tail =
      "\n" + kQuestion + " " + p.key.substr(0, p.key.size() - 1);  // the last digit is not an input
  if (s.size() < tail.size() || s.compare(s.size() - tail.size(), tail.size(), tail) != 0) return p;
  const size_t after_start = at + needle.size() + 1;
  if (s[after_start - 1] != '\n' || after_start > s.size() - tail.size()) return p;
  p.cut = static_cast<int64_t>(at) - 1;
  p.before = s.substr(0, static_cast<size_t>(p.cut));
  p.after = s.substr(after_start, s.size() - tail.size() - after_start);
  p.ok = true;
  return p;
}

/// Labels exactly at the n positions before the digits, each the next input (the last one the key's last digit).
bool labels_right(const data::TaskExample& e, const std::string& key) {
  const auto L = static_cast<int64_t>(e.inputs.size()), n = static_cast<int64_t>(key.size());
  for (int64_t t = 0; t < L; ++t) {
    if (t < L - n) {
      if (e.labels[t] != data::kIgnore) return false;
      continue;
    }
    if (e.labels[t] != key[static_cast<size_t>(t - (L - n))]) return false;
    if (t + 1 < L && e.labels[t] != e.inputs[t + 1]) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("passkey: the layout, and a naive reader finds every key", "[tasks][passkey]") {
  auto task = passkey("", "");  // the defaults: L 256, 5 digits, random depth, repeated filler (no corpus needed)
  const int64_t L = 256, n = 5, F = filler_of(L, n);
  REQUIRE(F == 153);
  CHECK(task->vocab_size() == 128);
  CHECK(task->seq_len() == L);
  CHECK(task->filler_chars() == F);
  CHECK(task->chance_accuracy() == Approx(0.1));
  REQUIRE(task->slice_names().size() == 5);

  int64_t solved = 0, labelled = 0, bad_layout = 0, bad_filler = 0, bad_slice = 0, bad_token = 0;
  std::set<int64_t> buckets;
  std::set<std::string> keys;
  int64_t lowest = F, highest = 0;
  for (uint64_t i = 0; i < 200; ++i) {
    data::TaskRng rng(9, 1, i);
    const data::TaskExample e = task->generate(rng);
    REQUIRE(e.inputs.size() == static_cast<size_t>(L));
    REQUIRE(e.labels.size() == static_cast<size_t>(L));
    REQUIRE(e.slices.size() == static_cast<size_t>(L));
    for (int32_t t : e.inputs)
      if (!(t == '\n' || (t >= 32 && t <= 126))) ++bad_token;
    const Parsed p = parse(e, n);
    if (!p.ok) {
      ++bad_layout;
      continue;
    }
    keys.insert(p.key);
    labelled += labels_right(e, p.key);
    // the naive solver: the digits after "pass key is", compared with the scored labels
    bool all = true;
    for (int64_t d = 0; d < n; ++d) all = all && e.labels[L - n + d] == p.key[d];
    solved += all;
    if (static_cast<int64_t>(p.before.size() + p.after.size()) != F) ++bad_layout;
    if (p.before + p.after != repeated(F)) ++bad_filler;  // one haystack, cut by the needle
    const int64_t bucket = std::min<int64_t>(4, 5 * p.cut / F);
    buckets.insert(bucket);
    lowest = std::min(lowest, p.cut);
    highest = std::max(highest, p.cut);
    for (int64_t t = 0; t < L; ++t)
      if (e.slices[t] != (t >= L - n ? bucket : -1)) ++bad_slice;
  }
  CHECK(bad_token == 0);
  CHECK(bad_layout == 0);
  CHECK(bad_filler == 0);
  CHECK(bad_slice == 0);
  CHECK(labelled == 200);
  CHECK(solved == 200);
  CHECK(keys.size() > 190);  // 10^5 keys
  CHECK(buckets.size() == 5);
  CHECK(lowest < F / 10);
  CHECK(highest > 9 * F / 10);
}

TEST_CASE("passkey: a fixed depth puts the needle at round(depth * F)", "[tasks][passkey]") {
  for (const double depth : {0.0, 0.25, 0.5, 0.9, 1.0}) {
    INFO("depth " << depth);
    for (const int64_t n : {1, 5, 8}) {
      const int64_t L = 200, F = filler_of(L, n);
      auto task = passkey("", "seq_len: 200\nnum_digits: " + std::to_string(n) + "\ndepth: " + std::to_string(depth));
      CHECK(task->slice_names().empty());
      CHECK(task->filler_chars() == F);
      for (uint64_t i = 0; i < 20; ++i) {
        data::TaskRng rng(2, 1, i);
        const data::TaskExample e = task->generate(rng);
        CHECK(e.slices.empty());
        const Parsed p = parse(e, n);
        REQUIRE(p.ok);
        CHECK(std::abs(static_cast<double>(p.cut) - depth * static_cast<double>(F)) <= 0.5);
        CHECK(labels_right(e, p.key));
      }
    }
  }
  // the shortest sequence: one filler character
  auto shortest = passkey("", "seq_len: 104\ndepth: 1");
  data::TaskRng rng(0);
  const Parsed p = parse(shortest->generate(rng), 5);
  REQUIRE(p.ok);
  CHECK(p.before == "T");
  CHECK(p.after.empty());
}

TEST_CASE("passkey: corpus filler is a random span of the corpus", "[tasks][passkey]") {
  TempDir dir;
  const std::string text = prose(), path = dir.write("prose.txt", text), tokens = as_tokens(text);
  auto task = passkey(path, "filler: corpus");
  const int64_t L = 256, n = 5, F = filler_of(L, n);
  CHECK_THAT(task->summary(), Catch::Contains("prose"));
  int64_t solved = 0, other = 0, in_corpus = 0;
  std::set<std::string> spans;
  for (uint64_t i = 0; i < 200; ++i) {
    data::TaskRng rng(4, 1, i);
    const data::TaskExample e = task->generate(rng);
    for (int32_t t : e.inputs) {
      REQUIRE((t == '\n' || (t >= 32 && t <= 127)));
      other += t == PasskeyTask::kOther;
    }
    const Parsed p = parse(e, n);
    REQUIRE(p.ok);
    solved += labels_right(e, p.key);
    REQUIRE(static_cast<int64_t>(p.before.size() + p.after.size()) == F);
    in_corpus += tokens.find(p.before + p.after) != std::string::npos;
    spans.insert(p.before + p.after);
  }
  CHECK(solved == 200);
  CHECK(in_corpus == 200);
  CHECK(other > 0);           // the em dashes, the é and the tab
  CHECK(spans.size() > 100);  // the spans start at random places

  // a folder's documents are joined by newlines, and a span may cross from one to the next
  const std::string text2 = prose();
  const size_t a_end = data::utf8_boundary_at_or_before(text2, 120),
               b_start = data::utf8_boundary_at_or_before(text2, 200);
  const std::string a = text2.substr(0, a_end),
                    b = text2.substr(b_start, data::utf8_boundary_at_or_before(text2, 320) - b_start);
  dir.write("docs/1.txt", a);
  dir.write("docs/2.txt", b);
  auto joined = passkey((dir.path() / "docs").string(), "filler: corpus");
  const std::string both = as_tokens(a + "\n" + b);
  for (uint64_t i = 0; i < 50; ++i) {
    data::TaskRng rng(4, 1, i);
    const Parsed p = parse(joined->generate(rng), n);
    REQUIRE(p.ok);
    CHECK(both.find(p.before + p.after) != std::string::npos);
  }
}

TEST_CASE("passkey: examples depend only on the seed", "[tasks][passkey]") {
  TempDir dir;
  const std::string path = dir.write("prose.txt", prose());
  for (const std::string filler : {"repeat", "corpus"}) {
    auto first = passkey(path, "filler: " + filler), second = passkey(path, "filler: " + filler);
    int64_t differ = 0;
    for (uint64_t i = 0; i < 20; ++i) {
      data::TaskRng x(3, 1, i), y(3, 1, i), z(4, 1, i);
      const data::TaskExample e = first->generate(x), f = second->generate(y), g = first->generate(z);
      CHECK(e.inputs == f.inputs);
      CHECK(e.labels == f.labels);
      CHECK(e.slices == f.slices);
      differ += e.inputs != g.inputs;
    }
    CHECK(differ >= 19);
  }
}

TEST_CASE("passkey: bad options name their key", "[tasks][passkey]") {
  TempDir dir;
  const std::string path = dir.write("prose.txt", prose());
  CHECK(passkey_error(path, "") == "");
  CHECK(passkey_error(path, "seq_len: 104") == "");
  CHECK_THAT(passkey_error(path, "seq_len: 103"), Catch::Contains("data.task.seq_len: must be >= 104"));
  CHECK_THAT(passkey_error(path, "seq_len: 103"), Catch::StartsWith("test.yaml:4:"));
  CHECK_THAT(passkey_error(path, "seq_len: 128\nnum_digits: 14"), Catch::Contains("data.task.seq_len: must be >= 131"));
  CHECK_THAT(passkey_error(path, "num_digits: 0"), Catch::Contains("data.task.num_digits: must be >= 1"));
  CHECK_THAT(passkey_error(path, "num_digits: 1000"), Catch::Contains("data.task.num_digits"));
  CHECK_THAT(passkey_error(path, "depth: 1.5"), Catch::Contains("data.task.depth: must be in [0, 1]"));
  CHECK_THAT(passkey_error(path, "depth: -0.1"), Catch::Contains("data.task.depth: must be in [0, 1]"));
  CHECK_THAT(passkey_error(path, "depth: sometimes"),
             Catch::Contains("data.task.depth: expected a fraction in [0, 1] or random"));
  CHECK_THAT(passkey_error(path, "depth: [0.5]"), Catch::Contains("data.task.depth"));
  CHECK(passkey_error(path, "depth: random") == "");
  CHECK(passkey_error(path, "depth: 0") == "");
  CHECK_THAT(passkey_error(path, "filler: lorem"), Catch::Contains("data.task.filler"));
  CHECK_THAT(passkey_error(path, "num_digit: 4"), Catch::Contains("data.task.num_digit"));
  // corpus filler needs the corpus (repeat does not), and enough of it
  CHECK_THAT(passkey_error(dir / "absent.txt", "filler: corpus"), Catch::Contains("data.path: file not found"));
  CHECK(passkey_error(dir / "absent.txt", "filler: repeat") == "");
  const std::string tiny = dir.write("tiny.txt", "Too short.");
  CHECK_THAT(passkey_error(tiny, "filler: corpus"),
             Catch::Contains("data.task.filler: corpus 'tiny' has 10 characters"));
}

TEST_CASE("passkey: the data=passkey preset builds", "[tasks][passkey]") {
  const std::filesystem::path source(ATTNLAB_SOURCE_DIR);
  const data::DataOptions data =
      data::DataOptions::from_config(cfg::load_yaml_file((source / "configs/data/passkey.yaml").string()));
  auto task = testing::make_task_from<PasskeyTask>(PasskeyTask::create, data);
  CHECK(task->seq_len() == 256);
  CHECK(task->slice_names().size() == 5);
  data::TaskRng rng(0);
  CHECK(parse(task->generate(rng), 5).ok);
}
