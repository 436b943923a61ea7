#include "analysis/budget_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

namespace attnlab::analysis {
namespace {

constexpr const char* kEvalBudget = results::kEvalBudgetTable;

double ratio_key(double ratio) { return std::round(ratio * 100.0) / 100.0; }

/// One run's last value per (policy label, ratio).
struct RunPoint {
  double ppl = 0;
  double kv_bytes = 0;
  double accuracy = 0;  // NaN for text or a file from before the column
};

std::map<std::string, std::map<double, RunPoint>> run_points(const LoadedRun& run) {
  std::map<std::string, std::map<double, RunPoint>> points;
  const results::RunReader& reader = *run.reader;
  if (!reader.has_table(kEvalBudget)) return points;
  const auto policies = reader.strings(kEvalBudget, "policy");
  const auto ratios = reader.doubles(kEvalBudget, "ratio");
  const auto ppl = reader.doubles(kEvalBudget, "ppl");
  const auto kv = reader.doubles(kEvalBudget, "kv_bytes");
  std::vector<std::string> allocations(policies.size(), "uniform");
  const auto columns = reader.columns(kEvalBudget);
  auto has = [&](const char* name) {
    return std::any_of(columns.begin(), columns.end(), [&](const results::Column& c) { return c.name == name; });
  };
  if (has("layer_budget")) allocations = reader.strings(kEvalBudget, "layer_budget");
  const auto accuracy = has("accuracy") ? reader.doubles(kEvalBudget, "accuracy") : std::vector<double>(policies.size(), NAN);
  for (size_t i = 0; i < policies.size(); ++i) {
    const std::string label = allocations[i] == "uniform" ? policies[i] : policies[i] + " (" + allocations[i] + ")";
    points[label][ratio_key(ratios[i])] = {ppl[i], kv[i], accuracy[i]};
  }
  return points;
}

}  // namespace

std::vector<BudgetCurve> budget_curves(const ReportContext& context) {
  std::vector<BudgetCurve> curves;
  for (const Variant& variant : context.grouping.variants) {
    std::map<std::string, std::map<double, std::vector<double>>> ppl, kv, accuracy;
    for (const LoadedRun* run : variant.runs) {
      for (const auto& [policy, by_ratio] : run_points(*run)) {
        for (const auto& [ratio, point] : by_ratio) {
          ppl[policy][ratio].push_back(point.ppl);
          kv[policy][ratio].push_back(point.kv_bytes);
          accuracy[policy][ratio].push_back(point.accuracy);
        }
      }
    }
    std::vector<std::string> policies;
    for (const auto& entry : ppl) policies.push_back(entry.first);
    std::stable_sort(policies.begin(), policies.end(),
                     [](const std::string& a, const std::string& b) { return (a == "full") > (b == "full"); });
    for (const auto& policy : policies) {
      BudgetCurve curve{variant.label, policy, {}, {}, {}};
      for (const auto& [ratio, values] : ppl[policy]) curve.ppl[ratio] = mean_std(values);
      for (const auto& [ratio, values] : kv[policy]) curve.kv_bytes[ratio] = mean_std(values);
      for (const auto& [ratio, values] : accuracy[policy]) {
        const MeanStd m = mean_std(values);  // n == 0: no accuracy (text)
        if (m.n) curve.accuracy[ratio] = m;
      }
      curves.push_back(std::move(curve));
    }
  }
  return curves;
}

namespace {

/// Policy × ratio of one per-ratio map of the curves (ppl or accuracy); nullopt when no curve has one.
std::optional<Table> ratio_table(const std::vector<BudgetCurve>& curves,
                                 std::map<double, MeanStd> BudgetCurve::*values, const char* prefix, int precision) {
  std::set<double> ratios;
  for (const auto& curve : curves)
    for (const auto& entry : curve.*values) ratios.insert(entry.first);
  if (ratios.empty()) return std::nullopt;
  Table table;
  table.columns = {"variant", "policy"};
  for (double ratio : ratios) table.columns.push_back(fmt::format("{} @ {:g}x", prefix, ratio));
  for (const auto& curve : curves) {
    std::vector<Cell> row = {Cell::text_cell(curve.variant), Cell::text_cell(curve.policy)};
    for (double ratio : ratios) {
      const auto it = (curve.*values).find(ratio);
      row.push_back(it == (curve.*values).end()
                        ? Cell::empty()
                        : Cell::mean_std(it->second.mean, it->second.std, it->second.n, precision));
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

}  // namespace

std::optional<Table> budget_table(const ReportContext& context) {
  std::optional<Table> table = ratio_table(budget_curves(context), &BudgetCurve::ppl, "ppl", 2);
  if (!table) return std::nullopt;
  table->name = "kv_budget";
  table->title = "Perplexity under a KV-cache budget";
  table->note =
      "Validation windows decoded token by token (attnlab eval): the loss at each position sees only the "
      "compressed cache. Column: compression ratio = context / budget per head (the KV bytes held shrink by "
      "about that factor); full = no eviction. Mean ± std over seeds.";
  return table;
}

std::optional<Table> budget_accuracy_table(const ReportContext& context) {
  std::optional<Table> table = ratio_table(budget_curves(context), &BudgetCurve::accuracy, "acc", 3);
  if (!table) return std::nullopt;
  table->name = "kv_budget_accuracy";
  table->title = "Probe-task accuracy under a KV-cache budget";
  table->note =
      "The task's test set decoded token by token (attnlab eval): each answer is predicted from the compressed "
      "cache only. Column: compression ratio = context / budget per head; full = no eviction. Mean ± std over "
      "seeds. A policy that keeps a random 1/R of the context should lose most recall answers at ratio R; one "
      "that keeps what attention needs should not.";
  return table;
}

}  // namespace attnlab::analysis
