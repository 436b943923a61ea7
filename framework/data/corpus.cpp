#include "data/corpus.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>

#include <glob.h>

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
  o.path = r.strings("path");
  if (o.path == std::vector<std::string>{""}) o.path.clear();  // path: "" is the configs' "not set"
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
  for (size_t i = 0; i < o.path.size(); ++i)
    if (o.path[i].empty()) cfg::fail_at(where("path"), "data.path." + std::to_string(i) + ": an empty path");
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

bool is_glob(const std::string& entry) { return entry.find_first_of("*?[") != std::string::npos; }

/// A file or folder named by `key` ("data.path", "data.path.1"): a device or pipe (/dev/zero, a
/// FIFO) would be read forever, so a corpus is made of regular files and folders only.
void check_file_or_folder(const fs::path& path, const std::string& key, const std::string& entry) {
  std::error_code error;
  const auto status = fs::status(path, error);
  if (!fs::exists(status)) throw UserError(key + ": file not found: " + entry);
  if (!fs::is_regular_file(status) && !fs::is_directory(status))
    throw UserError(key + ": " + path.string() + " is not a regular file or a folder");
}

/// The documents of one data.path entry: a file, a folder's .txt files, or a glob's matches (each
/// match a file or a folder) in byte order of their paths.
std::vector<fs::path> entry_files(const std::string& entry, const std::string& key) {
  if (!is_glob(entry)) {
    check_file_or_folder(entry, key, entry);
    return corpus_files(entry);
  }
  // glob(3) reads '**' as '*': refuse it rather than silently not recursing.
  if (entry.find("**") != std::string::npos)
    throw UserError(key + ": '**' in '" + entry + "': recursive globs are not supported; write one '*' per folder level (a/*/*.txt)");
  glob_t found{};
  const int code = ::glob(entry.c_str(), GLOB_NOSORT | GLOB_ERR, nullptr, &found);
  std::vector<std::string> matches(found.gl_pathv, found.gl_pathv + (code == 0 ? found.gl_pathc : 0));
  globfree(&found);
  if (code == GLOB_NOMATCH) throw UserError(key + ": no file matches '" + entry + "'");
  if (code != 0) throw UserError(key + ": cannot read the folders of '" + entry + "'" + (code == GLOB_ABORTED ? " (permission denied?)" : ""));
  std::sort(matches.begin(), matches.end());
  std::vector<fs::path> files;
  for (const auto& match : matches) {
    check_file_or_folder(match, key, match);
    for (auto& file : corpus_files(match)) files.push_back(std::move(file));
  }
  return files;
}

/// A corpus name for an entry: a file's stem, a folder's name, or the folder a glob looks in.
std::string entry_name(const std::string& entry) {
  fs::path path = entry;
  if (is_glob(entry)) {
    fs::path fixed;  // the components before the first one with a wildcard
    for (const auto& part : path) {
      if (is_glob(part.string())) break;
      fixed /= part;
    }
    std::error_code error;
    const fs::path folder = fs::weakly_canonical(fs::absolute(fixed.empty() ? fs::path(".") : fixed), error);
    const std::string name = folder.filename().string();
    return name.empty() ? "corpus" : name;
  }
  std::string name = path.filename().stem().string();
  if (name.empty()) name = path.parent_path().filename().string();
  return name;
}

constexpr std::uintmax_t kMaxCorpusBytes = std::uintmax_t{2} << 30;

}  // namespace

CorpusFiles locate_corpus(const DataOptions& options) {
  CorpusFiles corpus;
  std::vector<fs::path> files;
  if (!options.path.empty()) {
    const size_t n = options.path.size();
    std::map<std::string, size_t> named_by;  // a file's canonical path -> the entry that named it
    for (size_t i = 0; i < n; ++i) {
      const std::string key = n == 1 ? "data.path" : "data.path." + std::to_string(i);
      for (const auto& file : entry_files(options.path[i], key)) {
        const auto [it, fresh] = named_by.emplace(fs::weakly_canonical(file).string(), i);
        if (!fresh)
          throw UserError(fmt::format("data.path: {} is named twice (by '{}' and '{}'); list each document once", file.string(),
                                      options.path[it->second], options.path[i]));
        files.push_back(file);
      }
    }
    corpus.name = entry_name(options.path[0]) + (n > 1 ? fmt::format("+{}", n - 1) : "");
    corpus.location = join(options.path, " ");
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
    const fs::path location = fs::path(options.root) / it->relative_path;
    corpus.name = it->name;
    const bool present = it->is_folder ? fs::is_directory(location) : fs::is_regular_file(location);
    if (!present) {
      throw UserError("corpus '" + it->name + "' not found at " + location.string() +
                      ": run scripts/setup.sh (or scripts/fetch_corpora.sh " + options.root + ")");
    }
    corpus.location = location.string();
    files = corpus_files(location);
  }
  for (const auto& file : files) corpus.documents.push_back(TextPiece::of_file(file, 0, fs::file_size(file)));
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
