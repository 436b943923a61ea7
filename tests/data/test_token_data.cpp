#include <catch2/catch.hpp>

#include <functional>

#include <filesystem>
#include <fstream>
#include <thread>

#include "core/build_info.h"
#include "data/cache.h"
#include "data/token_data.h"
#include "data/utf8.h"
#include "data_test_util.h"

using namespace attnlab::data;
using attnlab::data::test::sample_text;
using attnlab::data::test::TempDir;

namespace fs = std::filesystem;

namespace {
DataOptions options_for(const TempDir& dir, const std::string& path, const std::string& tokenizer = "char") {
  DataOptions o;
  o.path = {path};
  o.root = (dir.path() / "root").string();
  o.tokenizer = tokenizer;
  o.vocab_size = 400;
  return o;
}

std::vector<fs::path> files_in(const fs::path& folder) {
  std::vector<fs::path> files;
  if (fs::exists(folder)) {
    for (const auto& e : fs::directory_iterator(folder)) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

/// Every id of a stream.
std::vector<int32_t> ids(const TokenStream& stream) { return stream.slice(0, stream.size()); }

/// Every file under `folder` with its modification time.
std::vector<std::pair<fs::path, fs::file_time_type>> tree(const fs::path& folder) {
  std::vector<std::pair<fs::path, fs::file_time_type>> out;
  for (const auto& e : fs::recursive_directory_iterator(folder)) out.emplace_back(e.path(), fs::last_write_time(e.path()));
  std::sort(out.begin(), out.end());
  return out;
}
}  // namespace

TEST_CASE("split: a single document is cut at the fraction, on a code point boundary", "[data][split]") {
  TempDir dir;
  const std::string text = sample_text(60);
  const auto file = dir.write("one.txt", "xx" + text);  // the document is a range of its file
  const TextSplit s = split_text({TextPiece::of_file(file, 2, text.size())}, 0.9);
  const std::string train = s.train.read_all(), val = s.val.read_all();
  CHECK(train + val == text);
  CHECK(static_cast<double>(train.size()) / text.size() == Approx(0.9).margin(0.001));
  CHECK_FALSE(find_utf8_problem(train));
  CHECK_FALSE(find_utf8_problem(val));

  const std::string accents = "ééééééééé";  // 18 bytes; 0.5 → byte 9, inside a character
  const TextSplit a = split_text({TextPiece::of_bytes(accents)}, 0.5);
  CHECK(a.train.read_all() == "éééé");
  CHECK(a.train.read_all() + a.val.read_all() == accents);
}

TEST_CASE("split: documents split at a boundary, validation gets the last ones", "[data][split]") {
  std::vector<std::string> docs;
  std::vector<TextPiece> pieces;
  for (int i = 0; i < 20; ++i) {
    docs.push_back("document " + std::to_string(100 + i) + std::string(200, 'x'));
    pieces.push_back(TextPiece::of_bytes(docs.back()));
  }
  const TextSplit s = split_text(pieces, 0.9);
  CHECK(s.train_documents == 18);
  CHECK(s.val_documents == 2);
  CHECK(s.val.read_all() == docs[18] + "\n\n" + docs[19]);
  CHECK(s.val_starts == std::vector<uint64_t>{0, docs[18].size() + 2});
  const std::string train = s.train.read_all();
  CHECK(train.rfind(docs[17]) == train.size() - docs[17].size());
  CHECK(s.train_starts.size() == 18);
  for (size_t i = 0; i < 18; ++i) CHECK(train.compare(s.train_starts[i], docs[i].size(), docs[i]) == 0);

  const TextSplit two = split_text({TextPiece::of_bytes("a"), TextPiece::of_bytes(std::string(100, 'b'))}, 0.9);  // one document each side at least
  CHECK(two.train.read_all() == "a");
  CHECK(two.val_documents == 1);
}

TEST_CASE("token data: char tokens of both splits, counts, round trip", "[data][tokens]") {
  TempDir dir;
  const std::string text = sample_text(60);
  const auto file = dir.write("corpus.txt", text);
  const TokenData d = TokenData::prepare(options_for(dir, file));
  CHECK_FALSE(d.from_cache);
  CHECK(d.corpus_name == "corpus");
  CHECK(d.train_chars + d.val_chars == count_code_points(text));
  CHECK(static_cast<int64_t>(d.train.size()) == d.train_chars);
  CHECK(d.tokenizer->decode(ids(d.train)) + d.tokenizer->decode(ids(d.val)) == text);
  CHECK(static_cast<double>(d.train_chars) / (d.train_chars + d.val_chars) == Approx(0.9).margin(0.01));
}

TEST_CASE("token data: folder corpora split at document boundaries", "[data][tokens]") {
  TempDir dir;
  for (int year = 1990; year < 2010; ++year) {
    dir.write("speeches/" + std::to_string(year) + "_someone.txt", "Speech of " + std::to_string(year) + ". " + sample_text(3));
  }
  const TokenData d = TokenData::prepare(options_for(dir, (dir.path() / "speeches").string()));
  const std::string val = d.tokenizer->decode(ids(d.val));
  CHECK(val.rfind("Speech of 2008. ", 0) == 0);
  CHECK(val.find("Speech of 2009. ") != std::string::npos);
  CHECK(val.find("Speech of 2007") == std::string::npos);
}

TEST_CASE("token data: the cache is reused and invalidated when the corpus changes", "[data][tokens][bpe]") {
  TempDir dir;
  const auto file = dir.write("corpus.txt", sample_text(80));
  const auto options = options_for(dir, file, "bpe");
  const fs::path cache = fs::path(options.root) / "cache";

  const TokenData first = TokenData::prepare(options);
  CHECK_FALSE(first.from_cache);
  CHECK(first.tokenizer->name() == "bpe");
  CHECK(first.tokenizer->vocab_size() == 400);
  const auto files = files_in(cache);
  REQUIRE(files.size() == 2);  // bpe-*.model, the token folder tokens-corpus-*/
  CHECK(fs::path(first.cache_path).parent_path() == cache);
  CHECK(first.train.mapped());
  const auto written = tree(first.cache_path);

  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const TokenData second = TokenData::prepare(options);
  CHECK(second.from_cache);
  CHECK(ids(second.train) == ids(first.train));
  CHECK(ids(second.val) == ids(first.val));
  CHECK(second.train_chars == first.train_chars);
  CHECK(files_in(cache) == files);
  CHECK((tree(first.cache_path) == written));  // nothing rewritten

  dir.write("corpus.txt", sample_text(80) + "One more line.\n");
  const TokenData changed = TokenData::prepare(options);
  CHECK_FALSE(changed.from_cache);
  CHECK(changed.cache_path != first.cache_path);
  CHECK(files_in(cache).size() == 4);
}

TEST_CASE("token data: a damaged token folder is rebuilt, not trusted", "[data][tokens]") {
  TempDir dir;
  const auto file = dir.write("corpus.txt", sample_text(30));
  const auto options = options_for(dir, file);
  const TokenData first = TokenData::prepare(options);
  const fs::path folder = first.cache_path;
  const auto train = ids(first.train), val = ids(first.val);  // `first` maps the files damaged below
  const std::string index = read_file(folder / "index.yaml"), shard = read_file(folder / "train-00000.bin");
  const std::vector<std::pair<std::string, std::function<void()>>> damages = {
      {"a shard cut short", [&] { std::ofstream(folder / "train-00000.bin", std::ios::binary | std::ios::trunc) << shard.substr(3); }},
      {"a shard missing", [&] { fs::remove(folder / "val-00000.bin"); }},
      {"index.yaml garbage", [&] { std::ofstream(folder / "index.yaml", std::ios::trunc) << "garbage: [\n"; }},
      {"index.yaml of another format", [&] { std::ofstream(folder / "index.yaml", std::ios::trunc) << "format: other\n"; }},
      {"the tokenizer missing", [&] { fs::remove(folder / "tokenizer.char"); }},
  };
  for (const auto& [what, damage] : damages) {
    INFO(what);
    damage();
    const TokenData again = TokenData::prepare(options);
    CHECK_FALSE(again.from_cache);
    CHECK(ids(again.train) == train);
    CHECK(ids(again.val) == val);
    CHECK(read_file(folder / "index.yaml") == index);
    CHECK(read_file(folder / "train-00000.bin") == shard);
  }
}

TEST_CASE("token data: a slice of the real moby_dick corpus with bpe", "[data][tokens][bpe][corpus]") {
  const fs::path real = fs::path(ATTNLAB_SOURCE_DIR) / "data/moby_dick/moby_dick.txt";
  if (!fs::exists(real)) {
    WARN("skipped: " << real.string() << " not found (run scripts/fetch_corpora.sh data)");
    return;
  }
  const std::string full = read_file(real);
  const std::string slice = full.substr(0, utf8_boundary_at_or_before(full, 150000));
  TempDir dir;
  auto options = options_for(dir, dir.write("moby_slice.txt", slice), "bpe");
  options.vocab_size = 1024;
  const TokenData d = TokenData::prepare(options);
  CHECK(d.tokenizer->vocab_size() == 1024);
  CHECK(d.tokenizer->decode(ids(d.train)) + d.tokenizer->decode(ids(d.val)) == slice);
  const double chars_per_token = static_cast<double>(d.train_chars) / static_cast<double>(d.train.size());
  INFO("chars per token " << chars_per_token);
  CHECK(chars_per_token > 2.5);
}
