// Token shards (data/token_shards.h, data/token_stream.h): mapped shards read as one array, the
// chunked multi-threaded encoder gives exactly the tokenizer's ids, prepared folders load without
// their corpus.
#include <cstring>

#include "data/bpe_tokenizer.h"
#include "data/char_tokenizer.h"
#include "data/token_data.h"
#include "data/token_shards.h"
#include "data_test_util.h"

using namespace attnlab;
using namespace attnlab::data;
using attnlab::data::test::sample_text;
using attnlab::data::test::TempDir;
using attnlab::data::test::user_error_of;

namespace fs = std::filesystem;

namespace {

template <typename T>
fs::path write_raw(const TempDir& dir, const std::string& name, const std::vector<T>& values) {
  const fs::path path = dir.path() / name;
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(values.data()),
                                              static_cast<std::streamsize>(values.size() * sizeof(T)));
  return path;
}

std::vector<int32_t> ids(const TokenStream& stream) { return stream.slice(0, stream.size()); }

}  // namespace

TEST_CASE("mapped shards read as one array, across shard boundaries", "[data][shards]") {
  TempDir dir;
  const std::vector<std::vector<int32_t>> parts = {{3, 1, 4, 1, 5}, {}, {9, 2, 6, 5, 3, 5, 8}, {65535}};
  std::vector<int32_t> all;
  for (const auto& p : parts) all.insert(all.end(), p.begin(), p.end());
  for (int bytes : {2, 4}) {
    INFO(bytes << "-byte ids");
    std::vector<fs::path> files;
    std::vector<int64_t> counts;
    for (size_t i = 0; i < parts.size(); ++i) {
      const std::string name = "s" + std::to_string(bytes) + "-" + std::to_string(i);
      files.push_back(bytes == 2 ? write_raw(dir, name, std::vector<uint16_t>(parts[i].begin(), parts[i].end()))
                                 : write_raw(dir, name, parts[i]));
      counts.push_back(static_cast<int64_t>(parts[i].size()));
    }
    const TokenStream stream = TokenStream::map(files, counts, bytes);
    CHECK(stream.mapped());
    REQUIRE(stream.size() == static_cast<int64_t>(all.size()));
    for (int64_t start = 0; start <= stream.size(); ++start) {  // every window against the naive copy
      for (int64_t n = 0; start + n <= stream.size(); ++n) {
        CHECK(stream.slice(start, n) == std::vector<int32_t>(all.begin() + start, all.begin() + start + n));
      }
    }
    CHECK_THROWS_AS(stream.slice(10, 5), std::out_of_range);
    // a file whose size disagrees with its count: one line naming it
    counts[2] += 1;
    CHECK_THAT(user_error_of([&] { TokenStream::map(files, counts, bytes); }),
               Catch::Contains("token shard") && Catch::Contains("its index says 8 ids"));
  }
  const TokenStream in_memory = all;
  CHECK_FALSE(in_memory.mapped());
  CHECK(in_memory.slice(3, 4) == std::vector<int32_t>(all.begin() + 3, all.begin() + 7));
}

TEST_CASE("the chunked encoder writes exactly the tokenizer's ids, with document starts", "[data][shards][bpe]") {
  // three documents joined as the split joins them; tiny chunks and shards so both are many
  const std::vector<std::string> documents = {sample_text(6), "A short one.\nTwo lines.", sample_text(4) + "\nno newline at the end"};
  std::string text;
  std::vector<uint64_t> starts;
  for (const auto& d : documents) {
    if (!text.empty()) text += "\n\n";
    starts.push_back(text.size());
    text += d;
  }
  const std::vector<std::shared_ptr<Tokenizer>> tokenizers = {std::make_shared<CharTokenizer>(text),
                                                              BpeTokenizer::train(text, 400)};
  for (const auto& tokenizer : tokenizers) {
    const std::vector<int32_t> expected = tokenizer->encode(text);
    for (int threads : {1, 3}) {
      for (size_t chunk : {size_t{1}, size_t{40}, size_t{1} << 20}) {
        INFO(tokenizer->name() << ", " << threads << " threads, chunks of " << chunk << " bytes");
        TempDir dir;
        const ShardedSplit split = write_split(*tokenizer, TextSource(text), starts, dir.path(), "train",
                                               bytes_per_token_for(tokenizer->vocab_size()), threads, 97, chunk);
        CHECK(split.tokens == static_cast<int64_t>(expected.size()));
        CHECK(split.shard_tokens.size() == static_cast<size_t>((split.tokens + 96) / 97));
        const TokenStream stream = map_split(dir.path(), "train", split, bytes_per_token_for(tokenizer->vocab_size()));
        CHECK(ids(stream) == expected);
        REQUIRE(split.document_starts.size() == documents.size());
        for (size_t d = 0; d < documents.size(); ++d) {  // each start decodes to its document's first characters
          const int64_t begin = split.document_starts[d];
          const int64_t end = d + 1 < documents.size() ? split.document_starts[d + 1] : split.tokens;
          const std::string decoded = tokenizer->decode(stream.slice(begin, end - begin));
          CHECK(decoded.rfind(documents[d], 0) == 0);
        }
      }
    }
  }
}

TEST_CASE("a line longer than the limit: char cuts it, bpe refuses it in one line", "[data][shards][bpe]") {
  // long lines (no newline for 300 bytes) in a text read from a file, chunks of 16 bytes, lines limited to 50
  TempDir dir;
  std::string text;
  const std::vector<std::string> letters = {"a", "é", "€"};
  for (int i = 0; i < 12; ++i) {
    for (int k = 0; k < 100 * (i % 4); ++k) text += letters[static_cast<size_t>(i % 3)];
    text += "ü line " + std::to_string(i) + "\n";
  }
  const auto file = dir.write("long.txt", text);
  TextSource source;
  source.append(TextPiece::of_file(file, 0, text.size()));
  const CharTokenizer chars(text);
  for (int threads : {1, 2}) {
    TempDir out;
    const ShardedSplit split = write_split(chars, source, {0}, out.path(), "train", 2, threads, 1000, 16, 50);
    CHECK(ids(map_split(out.path(), "train", split, 2)) == chars.encode(text));
  }
  const auto bpe = BpeTokenizer::train(text + sample_text(4), 400);
  TempDir out;
  CHECK_THAT(user_error_of([&] { write_split(*bpe, source, {0}, out.path(), "train", 2, 1, 1000, 16, 50); }),
             Catch::StartsWith("train text: a line longer than 50 bytes at byte ") &&
                 Catch::EndsWith("the bpe tokenizer encodes whole lines: break the corpus into lines, or use data.tokenizer=char"));
  // under the limit, bpe's chunks end after newlines and give its ids exactly
  const ShardedSplit split = write_split(*bpe, source, {0}, out.path(), "train", 2, 2, 1000, 16, 1000);
  CHECK(ids(map_split(out.path(), "train", split, 2)) == bpe->encode(text));
}

TEST_CASE("a prepared folder trains without its corpus", "[data][shards]") {
  TempDir dir;
  const auto file = dir.write("corpus.txt", sample_text(30));
  DataOptions options;
  options.path = {file};
  options.root = (dir.path() / "root").string();
  const TokenData prepared = TokenData::prepare(options, 2);
  fs::remove(file);  // the folder is all a run needs
  DataOptions from_folder;
  from_folder.path = {file};
  from_folder.prepared = prepared.cache_path;
  const TokenData loaded = TokenData::prepare(from_folder);
  CHECK(loaded.train.mapped());
  CHECK(ids(loaded.train) == ids(prepared.train));
  CHECK(ids(loaded.val) == ids(prepared.val));
  CHECK(loaded.train_chars == prepared.train_chars);
  CHECK(loaded.corpus_name == "corpus");
  CHECK(loaded.tokenizer->decode(ids(loaded.val)) == prepared.tokenizer->decode(ids(prepared.val)));
  const ShardIndex index = read_shard_index(prepared.cache_path);
  CHECK(index.bytes_per_token == 2);
  CHECK(index.train.document_starts == std::vector<int64_t>{0});

  from_folder.prepared = dir.path().string();
  CHECK_THAT(user_error_of([&] { TokenData::prepare(from_folder); }), Catch::Contains("not a prepared token folder (no index.yaml)"));
}

TEST_CASE("ids of vocabularies above 65536 are written as int32", "[data][shards]") {
  CHECK(bytes_per_token_for(65536) == 2);
  CHECK(bytes_per_token_for(65537) == 4);
}
