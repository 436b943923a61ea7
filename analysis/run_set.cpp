#include "analysis/run_set.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>

#include <yaml-cpp/yaml.h>

#include "analysis/stats.h"
#include "core/error.h"

namespace attnlab::analysis {

namespace fs = std::filesystem;

namespace {

/// Adds `group` -> option for every `group=option` override (a config group chosen on the command
/// line or by a sweep, e.g. mixer=approximate): the preset's name is what a researcher recognises.
void add_group_choices(FlatConfig& config, const std::string& overrides_yaml) {
  YAML::Node overrides;
  try {
    overrides = YAML::Load(overrides_yaml);
  } catch (const YAML::Exception&) {
    return;
  }
  if (!overrides.IsSequence()) return;
  for (const auto& item : overrides) {
    if (!item.IsScalar()) continue;
    const std::string text = item.as<std::string>();
    const size_t eq = text.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    const std::string key = text.substr(0, eq);
    const bool plain_group = key.find_first_of(".+~") == std::string::npos;
    const bool is_map = std::any_of(config.begin(), config.end(),
                                    [&](const auto& entry) { return entry.first.rfind(key + ".", 0) == 0; });
    if (plain_group && is_map && !find_value(config, key)) config.insert(config.begin(), {key, text.substr(eq + 1)});
  }
}

int64_t config_int(const FlatConfig& config, const std::string& key) {
  const std::string* value = find_value(config, key);
  if (!value) return 0;
  try {
    return std::stoll(*value);
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

std::string missing_steps(const std::vector<int64_t>& steps, int64_t every) {
  if (every <= 0 || steps.empty()) return "";
  std::vector<std::pair<int64_t, int64_t>> ranges;  // [first, last] missing multiples
  size_t i = 0;
  for (int64_t want = every; want <= steps.back(); want += every) {
    while (i < steps.size() && steps[i] < want) ++i;
    if (i < steps.size() && steps[i] == want) continue;
    if (!ranges.empty() && ranges.back().second == want - every) ranges.back().second = want;
    else ranges.emplace_back(want, want);
  }
  std::string out;
  for (const auto& [first, last] : ranges) {
    if (!out.empty()) out += ", ";
    out += first == last ? std::to_string(first) : std::to_string(first) + "-" + std::to_string(last);
  }
  return out;
}

std::vector<std::string> find_run_files(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const auto& path : paths) {
    if (fs::is_regular_file(path)) {
      files.push_back(path);
      continue;
    }
    if (!fs::is_directory(path)) throw UserError(path + ": no such file or directory");
    std::vector<std::string> found;
    for (const auto& entry : fs::recursive_directory_iterator(path, fs::directory_options::skip_permission_denied))
      if (entry.is_regular_file() && entry.path().filename() == "run.h5") found.push_back(entry.path().string());
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

double final_split_value(const LoadedRun& run, const std::string& split, const std::string& column) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const results::RunReader& reader = *run.reader;
  if (!reader.has_table(results::kEvalTable)) return nan;
  const auto columns = reader.columns(results::kEvalTable);
  if (std::none_of(columns.begin(), columns.end(), [&](const auto& c) { return c.name == column; })) return nan;
  const auto splits = reader.strings(results::kEvalTable, "split");
  const auto values = reader.doubles(results::kEvalTable, column);
  for (size_t i = std::min(splits.size(), values.size()); i-- > 0;)
    if (splits[i] == split) return values[i];
  return nan;
}

LoadedRun load_run(const std::string& path) {
  LoadedRun run;
  run.path = path;
  run.dir = fs::path(path).parent_path().string();
  run.reader = std::make_shared<results::RunReader>(path);
  const results::RunReader& reader = *run.reader;
  run.status = reader.string_attribute(results::attr::kStatus, "unknown");
  run.error = reader.string_attribute(results::attr::kError);
  run.seed = reader.int_attribute(results::attr::kSeed);
  run.n_params = reader.int_attribute(results::attr::kNParams);
  run.config = flatten_yaml(reader.string_attribute(results::attr::kConfigYaml), path);
  add_group_choices(run.config, reader.string_attribute(results::attr::kOverrides));
  if (reader.has_table(results::kEvalTable)) {
    const auto steps = reader.ints(results::kEvalTable, "step");
    const auto splits = reader.strings(results::kEvalTable, "split");
    const auto loss = reader.doubles(results::kEvalTable, "loss");
    const auto ppl = reader.doubles(results::kEvalTable, "ppl");
    const auto bpc = reader.doubles(results::kEvalTable, "bpc");
    const auto columns = reader.columns(results::kEvalTable);
    auto optional_column = [&](const std::string& name) {  // older files lack the later columns
      const bool has = std::any_of(columns.begin(), columns.end(), [&](const auto& c) { return c.name == name; });
      return has ? reader.doubles(results::kEvalTable, name) : std::vector<double>(splits.size(), NAN);
    };
    const auto accuracy = optional_column("accuracy"), hit_loss = optional_column("ar_hit_loss"),
               other_loss = optional_column("other_loss"), hit_share = optional_column("ar_hit_share");
    for (size_t i = 0; i < splits.size(); ++i)
      if (splits[i] == results::kValSplit)
        run.val.push_back({steps[i], loss[i], ppl[i], bpc[i], accuracy[i], std::exp(hit_loss[i]),
                           std::exp(other_loss[i]), hit_share[i]});
    if (!run.val.empty()) run.final_val = run.val.back();
    std::vector<int64_t> val_steps;
    for (const auto& point : run.val) val_steps.push_back(point.step);
    const std::string missing = missing_steps(val_steps, config_int(run.config, "train.eval_every"));
    if (!missing.empty()) run.gaps.push_back("/eval: no val rows for steps " + missing);
  }
  if (reader.has_table(results::kTrainTable)) {
    const std::string missing =
        missing_steps(reader.ints(results::kTrainTable, "step"), config_int(run.config, "train.log_every"));
    if (!missing.empty()) run.gaps.push_back("/train: no rows for steps " + missing);
  }
  run.tokens_per_s = reader.has_table(results::kTrainTable)
                         ? median(reader.doubles(results::kTrainTable, "tokens_per_s"))
                         : median({});
  return run;
}

RunSet load_runs(const std::vector<std::string>& paths) {
  const std::vector<std::string> files = find_run_files(paths);
  if (files.empty()) throw UserError("no run.h5 files under " + join(paths));
  RunSet set;
  for (const auto& file : files) {
    try {
      set.runs.push_back(load_run(file));
      for (const auto& gap : set.runs.back().gaps) set.gap_warnings.push_back(set.runs.back().dir + ": " + gap);
    } catch (const UserError& e) {
      set.warnings.push_back(e.what());
    }
  }
  if (set.runs.empty())
    throw UserError("none of the " + std::to_string(files.size()) + " run files could be read: " +
                    join(set.warnings, "; "));
  return set;
}

}  // namespace attnlab::analysis
