#include "analysis/accuracy_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

#include "analysis/hybrid_tables.h"
#include "analysis/stats.h"
#include "core/error.h"
#include "results/schema.h"

namespace attnlab::analysis {
namespace {

constexpr const char* kTaskPrefix = "data.task.";
constexpr const char* kSlicesTable = results::kEvalSlicesTable;
constexpr const char* kSkipSplit = "val_skip";
// Options of data.task that are not difficulty settings: the data seed is a seed, the rest are bookkeeping.
const std::set<std::string> kNotSettings = {"data.task.name", "data.task.seed", "data.task.test_examples"};

bool is_task_run(const LoadedRun& run) {
  return run.status == results::status::kCompleted && run.final_val && std::isfinite(run.final_val->accuracy) &&
         find_value(run.config, "data.task.name");
}

/// The rows and columns of a task table, and which runs fall in each cell.
struct Layout {
  std::vector<std::string> rows, columns;
  std::map<std::pair<std::string, std::string>, std::vector<const LoadedRun*>> cells;
  std::map<std::string, std::vector<std::string>> columns_of_task;  // task name -> its settings (columns)
};

Layout layout(const ReportContext& context) {
  std::vector<const LoadedRun*> runs;
  for (const LoadedRun& run : context.runs)
    if (is_task_run(run)) runs.push_back(&run);
  // keys of data.task that vary between runs of the same task
  std::map<std::string, std::map<std::string, std::set<std::string>>> values;  // task -> key -> values
  for (const LoadedRun* run : runs) {
    const std::string task = *find_value(run->config, "data.task.name");
    for (const auto& [key, value] : run->config)
      if (key.rfind(kTaskPrefix, 0) == 0 && !kNotSettings.count(key)) values[task][key].insert(value);
  }
  // other sweep axes (not the mixer, hybrid, data or the best-of key) split rows
  std::vector<std::string> row_axes;
  for (const auto& key : context.grouping.varying_keys) {
    const bool mixer_or_data = key.rfind("mixer", 0) == 0 || key.rfind("hybrid", 0) == 0 || key.rfind("data", 0) == 0;
    if (!mixer_or_data && key != context.best_of) row_axes.push_back(key);
  }
  Layout out;
  for (const LoadedRun* run : runs) {
    const std::string task = *find_value(run->config, "data.task.name");
    std::string column = task;
    for (const auto& [key, seen] : values[task]) {
      if (seen.size() < 2) continue;
      const std::string* value = find_value(run->config, key);
      column += fmt::format(" {}={}", key.substr(std::string(kTaskPrefix).size()), value ? *value : "?");
    }
    std::string row = mixer_label(*run);
    if (const std::string placement = hybrid_placement(*run); placement != "none") row += " | softmax@" + placement;
    for (const auto& key : row_axes) {
      const std::string* value = find_value(run->config, key);
      row += fmt::format(", {}={}", key, value ? *value : "?");
    }
    if (std::find(out.rows.begin(), out.rows.end(), row) == out.rows.end()) out.rows.push_back(row);
    if (std::find(out.columns.begin(), out.columns.end(), column) == out.columns.end()) {
      out.columns.push_back(column);
      out.columns_of_task[task].push_back(column);
    }
    out.cells[{row, column}].push_back(run);
  }
  return out;
}

/// Sorts labels in the order of the layout's rows; `belongs(label, row)` says whether a label is of
/// that row (labels of no row go last).
template <class Belongs>
void sort_like_rows(std::vector<std::string>& labels, const Layout& l, Belongs belongs) {
  auto rank = [&](const std::string& label) {
    for (size_t i = 0; i < l.rows.size(); ++i)
      if (belongs(label, l.rows[i])) return i;
    return l.rows.size();
  };
  std::stable_sort(labels.begin(), labels.end(), [&](const std::string& a, const std::string& b) { return rank(a) < rank(b); });
}

/// A cell's runs reduced to one mean ± std: all of them, or with best_of the value of that key
/// whose runs have the best mean accuracy. `winner` receives that value, `winning_runs` (if given)
/// the runs behind the mean.
MeanStd cell_accuracy(const std::vector<const LoadedRun*>& runs, const std::string& best_of, std::string* winner,
                      std::vector<const LoadedRun*>* winning_runs = nullptr) {
  std::map<std::string, std::vector<const LoadedRun*>> by_value;
  for (const LoadedRun* run : runs) {
    const std::string* value = best_of.empty() ? nullptr : find_value(run->config, best_of);
    by_value[value ? *value : ""].push_back(run);
  }
  MeanStd best;
  bool first = true;
  for (const auto& [value, group] : by_value) {
    std::vector<double> accuracies;
    for (const LoadedRun* run : group) accuracies.push_back(run->final_val->accuracy);
    const MeanStd m = mean_std(accuracies);
    if (first || m.mean > best.mean) {
      best = m, *winner = value, first = false;
      if (winning_runs) *winning_runs = group;
    }
  }
  return best;
}

}  // namespace

std::optional<Table> accuracy_table(const ReportContext& context) {
  const Layout l = layout(context);
  if (l.rows.empty()) return std::nullopt;
  Table table;
  table.name = "accuracy";
  table.title = "Probe-task accuracy";
  table.columns = {"mixer"};
  for (const auto& column : l.columns) table.columns.push_back(column);
  std::vector<std::string> scored_tasks;
  for (const auto& [task, columns] : l.columns_of_task)
    if (columns.size() > 1) scored_tasks.push_back(task), table.columns.push_back(task + " score");
  for (const auto& row : l.rows) {
    std::vector<Cell> cells{Cell::text_cell(row)};
    std::map<std::string, std::vector<double>> task_means;
    for (const auto& column : l.columns) {
      auto it = l.cells.find({row, column});
      if (it == l.cells.end()) {
        cells.push_back(Cell::empty());
        continue;
      }
      std::string winner;
      const MeanStd m = cell_accuracy(it->second, context.best_of, &winner);
      Cell cell = Cell::mean_std(m.mean, m.std, m.n, 3);
      if (!context.best_of.empty()) cell.text += " (" + winner + ")";
      cells.push_back(cell);
      task_means[*find_value(it->second.front()->config, "data.task.name")].push_back(m.mean);
    }
    for (const auto& task : scored_tasks) {
      const auto& means = task_means[task];
      // MAD's score: the mean over every setting of the task; undefined while one is missing
      cells.push_back(means.size() == l.columns_of_task.at(task).size() ? Cell::number(mean_std(means).mean, 3)
                                                                         : Cell::empty());
    }
    table.rows.push_back(std::move(cells));
  }
  table.note = "Completed runs only; final test accuracy at the scored positions, mean ± std over seeds.";
  if (!context.best_of.empty())
    table.note += " Each cell: the " + context.best_of + " (in brackets) whose seeds have the best mean accuracy.";
  if (!scored_tasks.empty()) table.note += " score = mean accuracy over the task's settings (MAD).";
  std::vector<std::string> chance;
  for (const auto& column : l.columns) {
    for (const auto& [key, runs] : l.cells) {
      if (key.second != column) continue;
      const auto value = runs.front()->reader->attribute("chance_accuracy");
      if (value && std::holds_alternative<double>(*value))
        chance.push_back(fmt::format("{} {:.4f}", column, std::get<double>(*value)));
      break;
    }
  }
  if (!chance.empty()) table.note += " Chance: " + join(chance) + ".";
  return table;
}

std::optional<Table> slice_accuracy_table(const ReportContext& context) {
  const Layout l = layout(context);
  std::vector<std::string> slices;
  std::map<std::pair<std::string, std::string>, std::vector<double>> values;  // (row · column, slice) -> seeds
  std::vector<std::string> rows;
  for (const auto& [cell, runs] : l.cells) {
    for (const LoadedRun* run : runs) {
      const results::RunReader& reader = *run->reader;
      if (!reader.has_table(kSlicesTable)) continue;
      const auto steps = reader.ints(kSlicesTable, "step");
      const auto splits = reader.strings(kSlicesTable, "split");
      const auto names = reader.strings(kSlicesTable, "slice");
      const auto accuracy = reader.doubles(kSlicesTable, "accuracy");
      const int64_t last = steps.empty() ? -1 : *std::max_element(steps.begin(), steps.end());
      const std::string row = cell.first + " · " + cell.second;
      for (size_t i = 0; i < steps.size(); ++i) {
        if (steps[i] != last || splits[i] != results::kValSplit) continue;
        if (std::find(slices.begin(), slices.end(), names[i]) == slices.end()) slices.push_back(names[i]);
        if (std::find(rows.begin(), rows.end(), row) == rows.end()) rows.push_back(row);
        values[{row, names[i]}].push_back(accuracy[i]);
      }
    }
  }
  if (rows.empty()) return std::nullopt;
  sort_like_rows(rows, l, [](const std::string& r, const std::string& row) { return r.rfind(row + " · ", 0) == 0; });
  Table table;
  table.name = "slices";
  table.title = "Probe-task accuracy per slice";
  table.columns = {"mixer · task"};
  for (const auto& slice : slices) table.columns.push_back(slice);
  for (const auto& row : rows) {
    std::vector<Cell> cells{Cell::text_cell(row)};
    for (const auto& slice : slices) {
      auto it = values.find({row, slice});
      const MeanStd m = it == values.end() ? MeanStd{} : mean_std(it->second);
      cells.push_back(Cell::mean_std(m.mean, m.std, m.n, 3));
    }
    table.rows.push_back(std::move(cells));
  }
  table.note = "Final test accuracy per slice of the scored positions (/eval_slices, split val), mean ± std over "
               "all runs of the cell (every seed and, with --best-of, every value of its key).";
  return table;
}

std::optional<Table> hybrid_accuracy_table(const ReportContext& context) {
  const Layout l = layout(context);
  // the layout's rows carry the placement ("mlp | softmax@even"); here it becomes a column
  std::vector<std::string> mixers, placements;
  std::map<std::tuple<std::string, std::string, std::string>, const std::vector<const LoadedRun*>*> cells;
  for (const auto& [key, runs] : l.cells) {
    const std::string placement = hybrid_placement(*runs.front());
    std::string mixer = key.first;
    if (placement != "none") mixer.erase(mixer.find(" | softmax@" + placement), 11 + placement.size());
    if (std::find(mixers.begin(), mixers.end(), mixer) == mixers.end()) mixers.push_back(mixer);
    if (placement != "none" && std::find(placements.begin(), placements.end(), placement) == placements.end())
      placements.push_back(placement);
    cells[{mixer, key.second, placement}] = &runs;
  }
  const bool any_uniform = std::any_of(cells.begin(), cells.end(), [](const auto& c) { return std::get<2>(c.first) == "none"; });
  if (placements.empty() || !any_uniform) return std::nullopt;
  sort_like_rows(mixers, l, [](const std::string& m, const std::string& row) {
    return row == m || row.rfind(m + " | ", 0) == 0;
  });
  Table table;
  table.name = "hybrid_accuracy";
  table.title = "Uniform vs hybrid vs skip accuracy (Deconstructing Attention, Table 1, on probe tasks)";
  table.columns = {"mixer"};
  for (const auto& column : l.columns) {
    const std::string prefix = l.columns.size() > 1 ? column + " " : std::string();
    table.columns.push_back(prefix + "uniform");
    for (const auto& placement : placements) {
      table.columns.push_back(prefix + "softmax@" + placement);
      table.columns.push_back(prefix + "softmax@" + placement + " skip");
    }
  }
  for (const auto& mixer : mixers) {
    std::vector<Cell> row{Cell::text_cell(mixer)};
    auto add = [&](const std::vector<const LoadedRun*>* runs, bool with_skip) {
      if (!runs) {
        row.push_back(Cell::empty());
        if (with_skip) row.push_back(Cell::empty());
        return;
      }
      std::string winner;
      std::vector<const LoadedRun*> winning_runs;
      const MeanStd m = cell_accuracy(*runs, context.best_of, &winner, &winning_runs);
      Cell cell = Cell::mean_std(m.mean, m.std, m.n, 3);
      if (!context.best_of.empty()) cell.text += " (" + winner + ")";
      row.push_back(cell);
      if (!with_skip) return;
      std::vector<double> skip;  // the runs the hybrid cell shows, without their variant layers
      for (const LoadedRun* run : winning_runs) skip.push_back(final_split_value(*run, kSkipSplit, "accuracy"));
      const MeanStd s = mean_std(skip);
      row.push_back(s.n ? Cell::mean_std(s.mean, s.std, s.n, 3) : Cell::empty());
    };
    for (const auto& column : l.columns) {
      auto find = [&](const std::string& placement) {
        auto it = cells.find({mixer, column, placement});
        return it == cells.end() ? nullptr : it->second;
      };
      add(find("none"), false);
      for (const auto& placement : placements) add(find(placement), true);
    }
    table.rows.push_back(std::move(row));
  }
  table.note = "Completed probe-task runs; final test accuracy, mean ± std over seeds. softmax@P = the hybrid with "
               "softmax in the layers hybrid.layers = P selects and the variant elsewhere; skip = that hybrid "
               "evaluated with its variant layers removed (split val_skip; empty unless eval.skip_layers is set).";
  if (!context.best_of.empty())
    table.note += " " + context.best_of + " in brackets: the best per cell; skip uses the hybrid's winner.";
  return table;
}

}  // namespace attnlab::analysis
