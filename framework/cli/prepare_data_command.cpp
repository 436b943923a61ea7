#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "core/error.h"
#include "data/token_data.h"
#include "data/token_shards.h"
#include "run/launcher.h"

namespace attnlab::cli {

void add_prepare_data_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("prepare-data", "Encode a corpus once into token shards that runs map (data.prepared=<folder>)");
  cmd->footer(
      "Examples:\n"
      "  attnlab prepare-data data=kjv data.tokenizer=bpe data.vocab_size=2048 --threads 2\n"
      "  attnlab prepare-data data.path=/big/corpus_folder            # prints the folder to train from\n"
      "  attnlab prepare-data 'data.path=[/web/shard_*.txt,/books]'    # globs and folders, in this order\n"
      "  attnlab run experiments/quickstart.yaml data.prepared=data/cache/tokens-kjv-<key>");
  struct Options {
    std::vector<std::string> words;
    LaunchRequest request;
    int threads = 0;
  };
  auto options = std::make_shared<Options>();
  options->request.config_dir = default_config_dir();
  cmd->add_option("words", options->words, "[experiment.yaml] [overrides...]: the data: section is read");
  cmd->add_option("--threads", options->threads, "Encoding threads (default: one per core)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--config-dir", options->request.config_dir, "Config folder (config.yaml + groups)");
  cmd->callback([options, &exit_code] {
    split_positionals(options->words, options->request);
    const RunConfig config =
        compose_run_config(options->request.config_dir, options->request.experiment_file, options->request.overrides);
    if (!config.data.task.is_null()) throw UserError("prepare-data: data is a probe task, generated on the fly; nothing to prepare");
    if (!config.data.prepared.empty()) throw UserError("prepare-data: data.prepared is set: that folder is prepared already");
    const int threads = options->threads > 0 ? options->threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const auto start = std::chrono::steady_clock::now();
    const data::TokenData tokens = data::TokenData::prepare(config.data, threads);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const data::ShardIndex index = data::read_shard_index(tokens.cache_path);
    int64_t bytes = 0;
    for (const auto& entry : std::filesystem::directory_iterator(tokens.cache_path)) bytes += static_cast<int64_t>(entry.file_size());
    std::cout << fmt::format("{} {}\n", tokens.from_cache ? "already prepared:" : "prepared:", tokens.cache_path)
              << fmt::format("  corpus {}, tokenizer {} (vocab {}), ids as {}\n", index.corpus, index.tokenizer,
                             index.vocab_size, index.bytes_per_token == 2 ? "uint16" : "int32")
              << fmt::format("  train {} tokens in {} shard(s), {} documents; val {} tokens, {} documents\n",
                             index.train.tokens, index.train.shard_tokens.size(), index.train.document_starts.size(),
                             index.val.tokens, index.val.document_starts.size())
              << fmt::format("  {:.1f} MB on disk; {:.1f} s with {} thread(s) ({:.1f} M characters/s)\n", bytes / 1e6, seconds,
                             threads, (index.train.chars + index.val.chars) / 1e6 / seconds)
              << fmt::format("train on it: attnlab run ... data.prepared={}\n", tokens.cache_path);
    exit_code = 0;
  });
}

}  // namespace attnlab::cli
