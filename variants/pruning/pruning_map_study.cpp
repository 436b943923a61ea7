#include "pruning/pruning_map_study.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <numeric>
#include <ostream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "core/error.h"
#include "pruning/pruning_map.h"
#include "results/run_reader.h"
#include "run/launcher.h"
#include "studies/budget_study.h"
#include "studies/result_appender.h"
#include "studies/trained_run.h"

namespace attnlab {

namespace {

constexpr const char* kPruningTable = "/analysis/pruning";

const std::set<std::string>& function_words() {
  static const std::set<std::string> words = {
      "a", "an", "the", "and", "or", "but", "nor", "so", "yet", "of", "to", "in", "on", "at", "by", "for", "with",
      "from", "into", "unto", "upon", "as", "that", "this", "these", "those", "which", "who", "whom", "whose",
      "what", "it", "its", "he", "him", "his", "she", "her", "they", "them", "their", "we", "us", "our", "you",
      "your", "ye", "thee", "thou", "thy", "i", "me", "my", "is", "are", "was", "were", "be", "been", "am",
      "have", "has", "had", "do", "did", "shall", "will", "not", "no", "all", "there", "then", "when", "if"};
  return words;
}

int64_t next_sample(const std::string& run_file) {
  results::RunReader reader(run_file);
  if (!reader.has_table(kPruningTable)) return 0;
  const auto samples = reader.ints(kPruningTable, "sample");
  return samples.empty() ? 0 : *std::max_element(samples.begin(), samples.end()) + 1;
}

std::string printable(const std::string& token) {
  std::string out;
  for (char c : token) out += c == '\n' ? std::string("\\n") : std::string(1, c);
  return out;
}

}  // namespace

std::string token_class(const std::string& token_text) {
  std::string word;
  bool alnum = false;
  for (unsigned char c : token_text) {
    if (std::isalnum(c) || c >= 0x80) alnum = true;
    if (!std::isspace(c)) word += static_cast<char>(std::tolower(c));
  }
  if (!alnum) return "punctuation";
  return function_words().count(word) ? "function word" : "other";
}

int run_pruning_map_study(const PruningMapRequest& request, std::ostream& out) {
  if (request.text.empty()) throw UserError("analyze pruning: --text is empty");
  cfg::Node root = compose_eval_config(TrainedRun::read_config(request.run_dir), request.overrides, request.config_dir);
  root.erase("cache");
  TrainedRun run = TrainedRun::load(request.run_dir, RunConfig::from_config(root));
  std::vector<int32_t> ids = run.data.tokenizer->encode(request.text);
  if (ids.size() < 2) throw UserError("analyze pruning: --text must be at least 2 tokens long, got " + std::to_string(ids.size()));
  const int64_t ctx = run.config.model.ctx;
  if (static_cast<int64_t>(ids.size()) > ctx) {
    out << fmt::format("note: the text is {} tokens; reading its first {} (model.ctx)", ids.size(), ctx) << std::endl;
    ids.resize(ctx);
  }
  auto tokens = torch::tensor(std::vector<int64_t>(ids.begin(), ids.end()), torch::kInt64).unsqueeze(0);  // [1, T]
  PruningMap map;
  try {
    map = pruning_map(run.model, tokens.to(torch::Device(run.device)));
  } catch (const std::invalid_argument&) {
    throw UserError(request.run_dir + ": the model has no pruning layer (mixer dcp); nothing to map");
  }
  std::vector<std::string> texts;
  for (int32_t id : ids) texts.push_back(run.data.tokenizer->decode({id}));

  ResultAppender appender(request.run_dir);
  const int64_t sample = next_sample(appender.path());
  appender.store().define_table(kPruningTable, {{"sample", results::ColumnType::Int64},
                                                {"layer", results::ColumnType::Int64},
                                                {"position", results::ColumnType::Int64},
                                                {"token", results::ColumnType::String},
                                                {"dropped_at", results::ColumnType::Int64},
                                                {"dropped_share", results::ColumnType::Float64}});
  const int64_t T = map.n_tokens;
  out << fmt::format("pruning map of {} tokens (sample {}), step {}:", T, sample, run.step) << std::endl;
  for (size_t row = 0; row < map.layers.size(); ++row) {
    std::map<std::string, std::pair<double, int64_t>> by_class;  // class -> (sum of shares, count)
    std::vector<int64_t> order(T - 1);
    std::iota(order.begin(), order.end(), 0);
    for (int64_t j = 0; j < T; ++j) {
      const double share = map.dropped_share(row, j);
      appender.store().append(kPruningTable, {sample, map.layers[row], j, texts[j], map.dropped_at[row][j],
                                              std::isnan(share) ? 0.0 : share});
      if (std::isnan(share)) continue;
      auto& [sum, count] = by_class[token_class(texts[j])];
      sum += share, ++count;
    }
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return map.dropped_share(row, a) > map.dropped_share(row, b); });
    std::string classes, earliest;
    for (const auto& [name, sum_count] : by_class) {
      classes += fmt::format("  {} {:.2f} (n={})", name, sum_count.first / sum_count.second, sum_count.second);
    }
    for (size_t i = 0; i < std::min<size_t>(12, order.size()) && map.dropped_share(row, order[i]) > 0; ++i) {
      earliest += fmt::format(" '{}'", printable(texts[order[i]]));
    }
    out << fmt::format("layer {:>2}: {:5.1f}% of context pruned | mean dropped share:{}", map.layers[row],
                       100.0 * map.dropped_fraction(row), classes)
        << std::endl;
    out << fmt::format("          dropped earliest:{}", earliest.empty() ? " (none)" : earliest) << std::endl;
  }
  appender.flush();
  return 0;
}

void setup_pruning_map_command(CLI::App& command, int& exit_code) {
  auto request = std::make_shared<PruningMapRequest>();
  auto text_file = std::make_shared<std::string>();
  request->config_dir = default_config_dir();
  command.add_option("run_dir", request->run_dir, "a trained run directory with dcp layers")->required();
  command.add_option("overrides", request->overrides, "device / threads overrides");
  auto* text = command.add_option("--text", request->text, "the text to read (up to model.ctx tokens)");
  command.add_option("--text-file", *text_file, "read the text from this file instead")->excludes(text);
  command.add_option("--config-dir", request->config_dir, "Config folder")->group("");
  command.callback([request, text_file, &exit_code] {
    if (!text_file->empty()) {
      std::ifstream in(*text_file, std::ios::binary);
      if (!in) throw UserError("--text-file: cannot read " + *text_file);
      std::ostringstream content;
      content << in.rdbuf();
      request->text = content.str();
    }
    exit_code = run_pruning_map_study(*request, std::cout);
  });
  command.footer("Example:\n  attnlab analyze pruning runs/dcp/<timestamp>/mixer.lambda=0.3 --text \"In the beginning ...\"");
}

}  // namespace attnlab
