#include <catch2/catch.hpp>

#include <sys/stat.h>

#include "data/corpus.h"
#include "data_test_util.h"

using namespace attnlab::data;
using attnlab::data::test::TempDir;
using attnlab::data::test::user_error_of;

namespace {
DataOptions path_options(const std::string& path) {
  DataOptions o;
  o.path = {path};
  return o;
}
}  // namespace

TEST_CASE("corpus: a UTF-8 file is one document", "[data][corpus]") {
  TempDir dir;
  const auto file = dir.write("my text.txt", "\xEF\xBB\xBFhello — world\n");
  const Corpus c = load_corpus(path_options(file));
  CHECK(c.name == "my text");
  CHECK(c.location == file);
  REQUIRE(c.documents.size() == 1);
  CHECK(c.documents[0] == "hello — world\n");  // BOM stripped
}

TEST_CASE("corpus: a folder holds .txt documents sorted by name", "[data][corpus]") {
  TempDir dir;
  dir.write("docs/2001_b.txt", "second");
  dir.write("docs/1999_a.txt", "first");
  dir.write("docs/2010_c.txt", "third\n");
  dir.write("docs/notes.md", "ignored");
  dir.write("docs/2005_blank.txt", "  \n");
  const Corpus c = load_corpus(path_options((dir.path() / "docs").string()));
  CHECK(c.documents == std::vector<std::string>{"first", "second", "third\n"});
}

TEST_CASE("corpus: known corpora resolve under root", "[data][corpus]") {
  TempDir dir;
  dir.write("kjv/kjv.txt", "In the beginning.\n");
  DataOptions o;
  o.root = dir.str();
  o.corpus = "kjv";
  const Corpus c = load_corpus(o);
  CHECK(c.name == "kjv");
  CHECK(c.documents.size() == 1);

  o.corpus = "moby_dick";
  CHECK(user_error_of([&] { load_corpus(o); }) ==
        "corpus 'moby_dick' not found at " + (dir.path() / "moby_dick/moby_dick.txt").string() +
            ": run scripts/setup.sh (or scripts/fetch_corpora.sh " + dir.str() + ")");
  o.corpus = "sotu";
  CHECK_THAT(user_error_of([&] { load_corpus(o); }), Catch::StartsWith("corpus 'sotu' not found at "));
}

TEST_CASE("corpus: errors are one clear line", "[data][corpus]") {
  TempDir dir;
  DataOptions o;
  o.corpus = "moby_dik";
  const auto unknown = user_error_of([&] { load_corpus(o); });
  CHECK_THAT(unknown, Catch::StartsWith("unknown corpus 'moby_dik' (did you mean 'moby_dick'?)"));
  CHECK_THAT(unknown, Catch::Contains("moby_dick, kjv, sotu"));

  CHECK(user_error_of([&] { load_corpus(path_options(dir.str() + "/nope.txt")); }) ==
        "data.path: file not found: " + dir.str() + "/nope.txt");

  const auto empty = dir.write("empty.txt", "");
  CHECK(user_error_of([&] { load_corpus(path_options(empty)); }) == "corpus 'empty' is empty: " + empty);
  const auto blank = dir.write("blank.txt", " \n\t\n");
  CHECK_THAT(user_error_of([&] { load_corpus(path_options(blank)); }), Catch::Contains("is empty"));
  std::filesystem::create_directories(dir.path() / "nothing");
  CHECK_THAT(user_error_of([&] { load_corpus(path_options((dir.path() / "nothing").string())); }),
             Catch::Contains("no non-empty .txt files"));

  const auto bad = dir.write("bad.txt", "fine line\nbad \xE9t\xE9\n");
  CHECK(user_error_of([&] { load_corpus(path_options(bad)); }) ==
        bad + ":2: invalid UTF-8 byte 0xe9 at byte offset 14");

  const auto binary = dir.write("model.bin", std::string("PK\x03\x04\0\0abc", 9));
  CHECK(user_error_of([&] { load_corpus(path_options(binary)); }) ==
        binary + ":1: NUL byte at byte offset 4 (a binary file?)");

  dir.write("folder/a.txt", "good");
  dir.write("folder/b.txt", "\xFF");
  CHECK_THAT(user_error_of([&] { load_corpus(path_options((dir.path() / "folder").string())); }),
             Catch::EndsWith("b.txt:1: invalid UTF-8 byte 0xff at byte offset 0"));
}

TEST_CASE("corpus: data.path lists files, folders and globs, in order", "[data][corpus]") {
  TempDir dir;
  dir.write("web/b_01.txt", "B1");
  dir.write("web/a_10.txt", "A10");
  dir.write("web/a_02.txt", "A2");
  dir.write("web/notes.md", "not a match");
  dir.write("extra/z.txt", "Z");
  dir.write("books/2.txt", "two");
  dir.write("books/1.txt", "one");
  const std::string web = (dir.path() / "web").string();
  DataOptions o;
  // a glob's matches in byte order, then a file, then a folder's .txt files in name order
  o.path = {web + "/a_*.txt", dir.str() + "/extra/z.txt", dir.str() + "/books"};
  const Corpus c = load_corpus(o);
  CHECK(c.documents == std::vector<std::string>{"A2", "A10", "Z", "one", "two"});
  CHECK(c.name == "web+2");
  o.path = {web + "/?_0[0-9].txt"};
  CHECK(load_corpus(o).documents == std::vector<std::string>{"A2", "B1"});
  CHECK(load_corpus(o).name == "web");
  o.path = {dir.str() + "/b*"};  // a glob that matches a folder takes its .txt files
  CHECK(load_corpus(o).documents == std::vector<std::string>{"one", "two"});
  // the located corpus is the same files, read lazily
  o.path = {web + "/*.txt"};
  const CorpusFiles located = locate_corpus(o);
  REQUIRE(located.documents.size() == 3);
  CHECK(located.documents[0].file.string() == web + "/a_02.txt");
  CHECK(located.documents[2].file.string() == web + "/b_01.txt");
}

TEST_CASE("corpus: a bad data.path entry is one line naming the entry", "[data][corpus]") {
  TempDir dir;
  dir.write("web/a.txt", "A");
  const std::string web = (dir.path() / "web").string();
  DataOptions o;
  o.path = {web + "/a.txt", web + "/x*.txt"};
  CHECK(user_error_of([&] { load_corpus(o); }) == "data.path.1: no file matches '" + web + "/x*.txt'");
  o.path = {web + "/a.txt", web + "/*.txt"};
  CHECK(user_error_of([&] { load_corpus(o); }) ==
        "data.path: " + web + "/a.txt is named twice (by '" + web + "/a.txt' and '" + web + "/*.txt'); list each document once");
  o.path = {dir.str() + "/**/*.txt"};
  CHECK_THAT(user_error_of([&] { load_corpus(o); }),
             Catch::StartsWith("data.path: '**' in '" + dir.str() + "/**/*.txt': recursive globs are not supported"));
  o.path = {web + "/a.txt", dir.str() + "/missing.txt"};
  CHECK(user_error_of([&] { load_corpus(o); }) == "data.path.1: file not found: " + dir.str() + "/missing.txt");
  // a pipe matched by a glob would be read forever
  REQUIRE(::mkfifo((dir.path() / "web/pipe.fifo").c_str(), 0600) == 0);
  o.path = {web + "/*.fifo"};
  CHECK(user_error_of([&] { load_corpus(o); }) == "data.path: " + web + "/pipe.fifo is not a regular file or a folder");
}
