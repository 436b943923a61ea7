#include "analysis/budget_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

namespace attnlab::analysis {
namespace {

constexpr const char* kEvalBudget = "/eval_budget";

double ratio_key(double ratio) { return std::round(ratio * 100.0) / 100.0; }

/// One run's last value per (policy label, ratio).
struct RunPoint {
  double ppl = 0;
  double kv_bytes = 0;
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
  if (std::any_of(columns.begin(), columns.end(), [](const results::Column& c) { return c.name == "layer_budget"; }))
    allocations = reader.strings(kEvalBudget, "layer_budget");
  for (size_t i = 0; i < policies.size(); ++i) {
    const std::string label = allocations[i] == "uniform" ? policies[i] : policies[i] + " (" + allocations[i] + ")";
    points[label][ratio_key(ratios[i])] = {ppl[i], kv[i]};
  }
  return points;
}

}  // namespace

std::vector<BudgetCurve> budget_curves(const ReportContext& context) {
  std::vector<BudgetCurve> curves;
  for (const Variant& variant : context.grouping.variants) {
    std::map<std::string, std::map<double, std::vector<double>>> ppl, kv;
    for (const LoadedRun* run : variant.runs) {
      for (const auto& [policy, by_ratio] : run_points(*run)) {
        for (const auto& [ratio, point] : by_ratio) {
          ppl[policy][ratio].push_back(point.ppl);
          kv[policy][ratio].push_back(point.kv_bytes);
        }
      }
    }
    std::vector<std::string> policies;
    for (const auto& entry : ppl) policies.push_back(entry.first);
    std::stable_sort(policies.begin(), policies.end(),
                     [](const std::string& a, const std::string& b) { return (a == "full") > (b == "full"); });
    for (const auto& policy : policies) {
      BudgetCurve curve{variant.label, policy, {}, {}};
      for (const auto& [ratio, values] : ppl[policy]) curve.ppl[ratio] = mean_std(values);
      for (const auto& [ratio, values] : kv[policy]) curve.kv_bytes[ratio] = mean_std(values);
      curves.push_back(std::move(curve));
    }
  }
  return curves;
}

std::optional<Table> budget_table(const ReportContext& context) {
  const std::vector<BudgetCurve> curves = budget_curves(context);
  if (curves.empty()) return std::nullopt;
  std::set<double> ratios;
  for (const auto& curve : curves)
    for (const auto& entry : curve.ppl) ratios.insert(entry.first);

  Table table;
  table.name = "kv_budget";
  table.title = "Perplexity under a KV-cache budget";
  table.columns = {"variant", "policy"};
  for (double ratio : ratios) table.columns.push_back(fmt::format("ppl @ {:g}x", ratio));
  for (const auto& curve : curves) {
    std::vector<Cell> row = {Cell::text_cell(curve.variant), Cell::text_cell(curve.policy)};
    for (double ratio : ratios) {
      const auto it = curve.ppl.find(ratio);
      row.push_back(it == curve.ppl.end() ? Cell::empty()
                                          : Cell::mean_std(it->second.mean, it->second.std, it->second.n, 2));
    }
    table.rows.push_back(std::move(row));
  }
  table.note =
      "Validation windows decoded token by token (attnlab eval): the loss at each position sees only the "
      "compressed cache. Column: compression ratio = context / budget per head (the KV bytes held shrink by "
      "about that factor); full = no eviction. Mean ± std over seeds.";
  return table;
}

}  // namespace attnlab::analysis
