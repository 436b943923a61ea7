#include "data/corpus.h"

#include <algorithm>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "config/map_reader.h"
#include "core/error.h"
#include "data/cache.h"
#include "data/tokenizer.h"
#include "data/utf8.h"

namespace attnlab::data {

namespace fs = std::filesystem;

DataOptions DataOptions::from_config(const cfg::Node& node) {
  DataOptions o;
  cfg::MapReader r(node, "data");
  std::vector<std::string> names;
  for (const auto& c : known_corpora()) names.push_back(c.name);
  o.corpus = r.choice("corpus", o.corpus, names);
  o.path = r.optional_string("path").value_or("");
  o.root = r.string("root", o.root);
  o.tokenizer = r.choice("tokenizer", o.tokenizer, tokenizer_names());
  o.vocab_size = r.integer("vocab_size", o.vocab_size);
  o.train_fraction = r.number("train_fraction", o.train_fraction);
  o.prepared = r.optional_string("prepared").value_or("");
  if (const cfg::Node* task = r.child("task"); task && !task->is_null()) {
    if (!task->is_map()) cfg::fail_at(task->source(), "data.task: expected a map with a task name (data=mqar), got a " + std::string(task->kind_name()));
    o.task = *task;
  }
  r.finish();
  auto where = [&](const std::string& key) {
    const cfg::Node* child = node.find(key);
    return child ? child->source() : node.source();
  };
  if (o.vocab_size < 2) {
    cfg::fail_at(where("vocab_size"), "data.vocab_size: must be at least 2, got " +
                                          std::to_string(o.vocab_size));
  }
  if (!(o.train_fraction > 0.0 && o.train_fraction < 1.0)) {
    cfg::fail_at(where("train_fraction"), "data.train_fraction: must be in (0, 1), got " +
                                              std::to_string(o.train_fraction));
  }
  return o;
}

const std::vector<KnownCorpus>& known_corpora() {
  static const std::vector<KnownCorpus> corpora = {
      {"moby_dick", "moby_dick/moby_dick.txt", false},
      {"kjv", "kjv/kjv.txt", false},
      {"sotu", "sotu", true},
  };
  return corpora;
}

namespace {

bool is_blank(const std::string& text, size_t from = 0) {
  return std::all_of(text.begin() + static_cast<std::ptrdiff_t>(std::min(from, text.size())), text.end(),
                     [](unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); });
}

/// The text files of a corpus: a folder's .txt files in name order, or the file itself.
std::vector<fs::path> corpus_files(const fs::path& location) {
  if (!fs::is_directory(location)) return {location};
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(location)) {
    if (entry.is_regular_file() && entry.path().extension() == ".txt") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

/// `file` as a document: validated as UTF-8 in 4 MiB blocks ("<file>:<line>: <problem>"), its byte
/// order mark left out; nullopt when it is blank.
std::optional<TextPiece> scan_document(const fs::path& file) {
  constexpr size_t kBlock = size_t{4} << 20;
  const uint64_t size = fs::file_size(file);
  TextSource whole;
  whole.append(TextPiece::of_file(file, 0, size));
  std::string carry;  // the start of a code point cut by the previous block
  uint64_t base = 0;  // file offset of carry's first byte
  size_t lines = 0;   // newlines before `base`
  bool blank = true, bom = false;
  for (uint64_t pos = 0; pos < size;) {
    std::string block = carry + whole.read(pos, kBlock);
    pos += block.size() - carry.size();
    if (base == 0) bom = block.rfind("\xEF\xBB\xBF", 0) == 0;
    size_t good = block.size();
    if (auto problem = find_utf8_problem(block)) {
      if (pos < size && !problem->nul && problem->offset + 4 > block.size()) {
        good = problem->offset;  // a sequence cut by the block's end: finished in the next block
      } else {
        problem->offset += base;
        problem->line += lines;
        throw UserError(file.string() + ":" + std::to_string(problem->line) + ": " + problem->message());
      }
    }
    carry = block.substr(good);
    block.resize(good);
    blank = blank && is_blank(block, base == 0 && bom ? 3 : 0);
    lines += static_cast<size_t>(std::count(block.begin(), block.end(), '\n'));
    base += good;
  }
  if (blank) return std::nullopt;
  const uint64_t skip = bom ? 3 : 0;
  return TextPiece::of_file(file, skip, size - skip);
}

constexpr std::uintmax_t kMaxCorpusBytes = std::uintmax_t{2} << 30;

}  // namespace

CorpusFiles locate_corpus(const DataOptions& options) {
  CorpusFiles corpus;
  fs::path location;
  if (!options.path.empty()) {
    location = options.path;
    std::error_code error;
    const auto status = fs::status(location, error);
    if (!fs::exists(status)) throw UserError("data.path: file not found: " + options.path);
    // A device or pipe (/dev/zero, a FIFO) would be read forever: a corpus is a file or a folder.
    if (!fs::is_regular_file(status) && !fs::is_directory(status))
      throw UserError("data.path: " + options.path + " is not a regular file or a folder");
    corpus.name = location.filename().stem().string();
    if (corpus.name.empty()) corpus.name = location.parent_path().filename().string();
  } else {
    const auto& corpora = known_corpora();
    auto it = std::find_if(corpora.begin(), corpora.end(),
                           [&](const KnownCorpus& c) { return c.name == options.corpus; });
    if (it == corpora.end()) {
      std::vector<std::string> names;
      for (const auto& c : corpora) names.push_back(c.name);
      throw UserError("unknown corpus '" + options.corpus + "'" + did_you_mean(options.corpus, names) +
                      "; known corpora: " + join(names) + " (or set data.path to any UTF-8 text file)");
    }
    location = fs::path(options.root) / it->relative_path;
    corpus.name = it->name;
    const bool present = it->is_folder ? fs::is_directory(location) : fs::is_regular_file(location);
    if (!present) {
      throw UserError("corpus '" + it->name + "' not found at " + location.string() +
                      ": run scripts/setup.sh (or scripts/fetch_corpora.sh " + options.root + ")");
    }
  }
  corpus.location = location.string();
  for (const auto& file : corpus_files(location)) corpus.documents.push_back(TextPiece::of_file(file, 0, fs::file_size(file)));
  return corpus;
}

CorpusFiles scan_corpus(CorpusFiles located) {
  CorpusFiles corpus;
  corpus.name = located.name;
  corpus.location = located.location;
  for (const auto& file : located.documents) {
    if (auto document = scan_document(file.file)) corpus.documents.push_back(std::move(*document));
  }
  if (corpus.documents.empty()) {
    throw UserError(fs::is_directory(corpus.location) ? "corpus '" + corpus.name + "' is empty: no non-empty .txt files in " + corpus.location
                                                      : "corpus '" + corpus.name + "' is empty: " + corpus.location);
  }
  return corpus;
}

Corpus load_corpus(const DataOptions& options) {
  CorpusFiles files = scan_corpus(locate_corpus(options));
  std::uintmax_t bytes = 0;
  for (const auto& document : files.documents) bytes += document.size;
  if (bytes > kMaxCorpusBytes)
    throw UserError(fmt::format("corpus '{}': {:.2f} GiB of text; a task reads its corpus into memory and takes at most {:.0f} GiB",
                                files.name, bytes / double(1 << 30), kMaxCorpusBytes / double(1 << 30)));
  Corpus corpus;
  corpus.name = files.name;
  corpus.location = files.location;
  for (const auto& document : files.documents) {
    TextSource text;
    text.append(document);
    corpus.documents.push_back(text.read_all());
  }
  return corpus;
}

}  // namespace attnlab::data
