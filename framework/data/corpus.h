#pragma once
/// Corpora: the `data:` options and loading a known corpus or any UTF-8 file/folder as documents.

#include <cstdint>
#include <string>
#include <vector>

#include "config/node.h"
#include "data/text_source.h"

namespace attnlab::data {

/// Options of the `data:` config group.
struct DataOptions {
  std::string corpus = "moby_dick";  ///< a known corpus (see known_corpora()); ignored when `path` is set
  std::vector<std::string> path;     ///< UTF-8 text files, folders of .txt documents or glob patterns, in order; overrides `corpus`
  std::string root = "data";         ///< where scripts/setup.sh put the corpora; relative to the current directory
  std::string tokenizer = "char";    ///< char | bpe
  int64_t vocab_size = 2048;         ///< bpe only: SentencePiece vocabulary size
  double train_fraction = 0.9;       ///< share of the text (or of the documents) used for training, in (0, 1)
  std::string prepared;              ///< a folder from `attnlab prepare-data`: its tokens and tokenizer, the corpus unread
  cfg::Node task;                    ///< null for text; a probe task's map (name, its options: data/dataset.h, data/task.h)

  /// Strict reading of the `data:` map (unknown key, wrong type, bad value: UserError with file:line).
  static DataOptions from_config(const cfg::Node& node);
};

/// A corpus the fetch script installs under `root`.
struct KnownCorpus {
  std::string name;           ///< "moby_dick"
  std::string relative_path;  ///< "moby_dick/moby_dick.txt", relative to DataOptions::root
  bool is_folder = false;     ///< a folder of .txt documents (sorted by file name)
};

/// The built-in corpora: moby_dick, kjv, sotu.
const std::vector<KnownCorpus>& known_corpora();

/// A loaded corpus: validated UTF-8 text, one entry per document (a single file is one document).
struct Corpus {
  std::string name;                    ///< corpus name, or the file/folder name for data.path
  std::string location;                ///< the file or folder it was read from
  std::vector<std::string> documents;  ///< in order; a folder's documents sorted by file name
};

/// A corpus on disk, validated but not read into memory: each document a byte range of its file
/// (a leading byte order mark left out), blank documents dropped.
struct CorpusFiles {
  std::string name;                   ///< as Corpus::name
  std::string location;               ///< as Corpus::location
  std::vector<TextPiece> documents;   ///< in order; a folder's documents sorted by file name
};

/// Finds the corpus named by `options` without reading it: one whole-file piece per document.
/// `data.path` entries keep their order; a folder gives its .txt files and a glob (`*`, `?`, `[..]`,
/// not crossing '/') its matches, each sorted by name. UserError for an unknown name, a missing
/// path, a glob that matches nothing, a device or pipe, or a file named twice.
CorpusFiles locate_corpus(const DataOptions& options);

/// Validates a located corpus in blocks (any size, bounded memory): each document without its
/// byte order mark, blank ones dropped. The same one-line UserErrors as load_corpus.
CorpusFiles scan_corpus(CorpusFiles located);

/// Loads the corpus named by `options` into memory (the probe tasks' filler text), at most 2 GiB. UserError (one line) for an unknown corpus name, a missing
/// file or folder, an empty corpus, invalid UTF-8 or a binary file.
Corpus load_corpus(const DataOptions& options);

}  // namespace attnlab::data
