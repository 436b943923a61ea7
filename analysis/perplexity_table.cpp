#include "analysis/perplexity_table.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "analysis/stats.h"
#include "core/error.h"
#include "results/schema.h"

namespace attnlab::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Runs of one variant with one status: a row.
struct RowRuns {
  std::string status;
  std::vector<const LoadedRun*> runs;
};

std::vector<RowRuns> split_by_status(const Variant& variant) {
  static const std::vector<std::string> kOrder = {results::status::kCompleted, results::status::kRunning,
                                                  results::status::kFailed};
  std::vector<RowRuns> rows;
  for (const LoadedRun* run : variant.runs) {
    auto it = std::find_if(rows.begin(), rows.end(), [&](const RowRuns& r) { return r.status == run->status; });
    if (it == rows.end()) it = rows.insert(rows.end(), RowRuns{run->status, {}});
    it->runs.push_back(run);
  }
  auto rank = [](const std::string& status) {
    return std::find(kOrder.begin(), kOrder.end(), status) - kOrder.begin();
  };
  std::stable_sort(rows.begin(), rows.end(), [&](const RowRuns& a, const RowRuns& b) { return rank(a.status) < rank(b.status); });
  return rows;
}

std::string status_text(const RowRuns& row) {
  if (row.status != results::status::kFailed) return row.status;
  std::vector<std::string> errors;
  for (const LoadedRun* run : row.runs)
    if (std::find(errors.begin(), errors.end(), run->error) == errors.end()) errors.push_back(run->error);
  std::string text = "failed: " + (errors.front().empty() ? std::string("(no message)") : errors.front());
  if (text.size() > 90) text = text.substr(0, 87) + "...";
  if (errors.size() > 1) text += " (+" + std::to_string(errors.size() - 1) + " other errors)";
  return text;
}

MeanStd final_metric(const std::vector<const LoadedRun*>& runs, double EvalPoint::*field) {
  std::vector<double> values;
  for (const LoadedRun* run : runs)
    if (run->final_val) values.push_back((*run->final_val).*field);
  return mean_std(values);
}

/// Mean final val ppl of the completed runs of the baseline variant that shares this variant's
/// values on every axis other than the baseline's own; NaN when there is none.
double baseline_ppl(const ReportContext& context, const BaselineSpec& spec, const Variant& variant) {
  for (const Variant& candidate : context.grouping.variants) {
    if (!spec.matches(*candidate.runs.front())) continue;
    bool same_elsewhere = true;
    for (size_t i = 0; i < variant.settings.size(); ++i)
      if (!spec.covers(variant.settings[i].first) && variant.settings[i].second != candidate.settings[i].second)
        same_elsewhere = false;
    if (!same_elsewhere) continue;
    std::vector<const LoadedRun*> completed;
    for (const LoadedRun* run : candidate.runs)
      if (run->status == results::status::kCompleted) completed.push_back(run);
    const MeanStd ppl = final_metric(completed, &EvalPoint::ppl);
    return ppl.n ? ppl.mean : kNaN;
  }
  return kNaN;
}

}  // namespace

std::optional<Table> perplexity_table(const ReportContext& context) {
  Table table;
  table.name = "perplexity";
  table.title = "Final validation perplexity";
  table.columns = {"variant", "status", "seeds", "step", "val ppl", "val bpc", "Δ ppl", "params", "tokens/s"};
  // probe-task runs: accuracy at the scored positions (the column appears only when some run has it)
  const bool any_accuracy = std::any_of(context.runs.begin(), context.runs.end(), [](const LoadedRun& run) {
    return run.final_val && std::isfinite(run.final_val->accuracy);
  });
  if (any_accuracy) table.columns.insert(table.columns.begin() + 6, "val acc");
  // text runs: the loss split on associative-recall hits (where attention's lead sits, Zoology)
  const bool any_ar_hits = std::any_of(context.runs.begin(), context.runs.end(), [](const LoadedRun& run) {
    return run.final_val && std::isfinite(run.final_val->ar_hit_ppl);
  });
  const std::ptrdiff_t ar_at = any_accuracy ? 7 : 6;  // after val bpc (and val acc)
  if (any_ar_hits) table.columns.insert(table.columns.begin() + ar_at, {"AR-hit ppl", "other ppl", "AR-hit %"});

  std::optional<BaselineSpec> spec;
  if (!context.baseline.empty()) spec = BaselineSpec::parse(context.baseline);
  const bool baseline_is_axis =
      spec && std::any_of(context.grouping.varying_keys.begin(), context.grouping.varying_keys.end(),
                          [&](const std::string& key) { return spec->covers(key); });

  for (const Variant& variant : context.grouping.variants) {
    const bool is_baseline = baseline_is_axis && spec->matches(*variant.runs.front());
    const double base = baseline_is_axis ? baseline_ppl(context, *spec, variant) : kNaN;
    for (const RowRuns& row : split_by_status(variant)) {
      const MeanStd ppl = final_metric(row.runs, &EvalPoint::ppl);
      const MeanStd bpc = final_metric(row.runs, &EvalPoint::bpc);
      int64_t step = -1;
      std::vector<double> params, speed;
      for (const LoadedRun* run : row.runs) {
        if (run->final_val) step = std::max(step, run->final_val->step);
        params.push_back(static_cast<double>(run->n_params));
        speed.push_back(run->tokens_per_s);
      }
      const MeanStd mean_params = mean_std(params), mean_speed = mean_std(speed);
      Cell delta = Cell::empty();
      if (is_baseline && row.status == results::status::kCompleted)
        delta = Cell{"baseline", 0.0, std::nullopt};
      else if (ppl.n && std::isfinite(base))
        delta = Cell::delta(ppl.mean - base, 2);
      std::vector<Cell> cells{Cell::text_cell(variant.label), Cell::text_cell(status_text(row)),
                              Cell::number(static_cast<double>(row.runs.size()), 0),
                              step >= 0 ? Cell::number(static_cast<double>(step), 0) : Cell::empty(),
                              Cell::mean_std(ppl.mean, ppl.std, ppl.n, 2), Cell::mean_std(bpc.mean, bpc.std, bpc.n, 3),
                              delta, mean_params.n ? Cell::count(mean_params.mean) : Cell::empty(),
                              mean_speed.n ? Cell::count(mean_speed.mean) : Cell::empty()};
      if (any_accuracy) {
        const MeanStd accuracy = final_metric(row.runs, &EvalPoint::accuracy);
        cells.insert(cells.begin() + 6, Cell::mean_std(accuracy.mean, accuracy.std, accuracy.n, 3));
      }
      if (any_ar_hits) {
        const MeanStd hit = final_metric(row.runs, &EvalPoint::ar_hit_ppl),
                      other = final_metric(row.runs, &EvalPoint::other_ppl),
                      share = final_metric(row.runs, &EvalPoint::ar_hit_share);
        cells.insert(cells.begin() + ar_at, {Cell::mean_std(hit.mean, hit.std, hit.n, 2),
                                             Cell::mean_std(other.mean, other.std, other.n, 2),
                                             share.n ? Cell::number(100.0 * share.mean, 1) : Cell::empty()});
      }
      table.rows.push_back(std::move(cells));
    }
  }

  std::string note = "val = last /eval row with split \"val\"; mean ± std over seeds (sample std); "
                     "tokens/s = median over training steps, mean over seeds.";
  if (any_ar_hits)
    note += " AR-hit = tokens completing a bigram seen earlier in their window (Zoology's associative-recall "
            "hits); other = the rest; AR-hit % = their share of the scored tokens.";
  if (spec && baseline_is_axis) note += " Δ ppl vs " + context.baseline + ".";
  if (spec && !baseline_is_axis) note += " No Δ: the baseline key of " + context.baseline + " does not vary between these runs.";
  if (!context.grouping.varying_keys.empty())
    note += " Runs differ in: " + join(context.grouping.varying_keys) + ".";
  table.note = note;
  return table;
}

}  // namespace attnlab::analysis
