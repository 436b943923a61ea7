#pragma once
/// The claims scorecard: a paper's findings written in an experiment file as comparisons between
/// cells of the study, checked against the runs with Welch's t-test over seeds.
///
///   claims:
///     - name: "(a) no token mixing collapses"      # Deconstructing Attention, Table 1
///       left: {mixer: mlp, hybrid.layers: none}    # runs whose config has these values
///       op: ">"                                     # left > right (or "<")
///       right: {mixer: softmax, hybrid.layers: none}
///       metric: val_ppl                             # see claim_metrics()
///       margin: 1.5x                                # optional: 1.5x (ratio) or 0.1 (difference)
///       right_metric: accuracy                      # optional: the right side's metric, when it differs
///                                                   # (a hybrid's skip_accuracy against its accuracy)
///
/// `right` may be a number instead (`right: 0.95`): the left side is then tested against that
/// constant (a one-sample t-test), as a paper's "the persistence ratio is above 0.95".
///
/// A side that names `cache: <policy>` (and `cache.ratio: R`, default 1) reads the last /eval_budget
/// row of that policy and ratio (`attnlab eval`) instead of /eval: metric accuracy, val_ppl or
/// val_loss under that KV budget.
///
/// The verdict is `holds` when the seeds show left op right (beyond the margin) at p < 0.05
/// (one-sided Welch), `fails` when they show the opposite, and `undecided` otherwise, including
/// fewer than two runs a side.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analysis/report_sections.h"

namespace YAML {
class Node;
}

namespace attnlab::analysis {

struct Claim {
  std::string name;
  std::map<std::string, std::string> left, right;  ///< config key (or a group: mixer) -> value
  bool greater = true;                             ///< op ">" (else "<")
  std::string metric;
  std::string right_metric;  ///< = metric unless the claim names another
  std::optional<double> right_value;  ///< `right: <number>`: a constant instead of runs (`right` is empty)
  enum class Margin { None, Ratio, Difference } margin_kind = Margin::None;
  double margin = 0;  ///< the ratio (1.5 for 1.5x) or the difference
  std::string source; ///< "file:line" of the claim, for messages
};

/// The metrics a claim may compare: name -> whether higher is better.
const std::map<std::string, bool>& claim_metrics();

/// The `claims:` list of a parsed experiment file (empty when absent). UserError (one line, with
/// `source`, the claim's index and key) for a malformed claim or an unknown metric.
std::vector<Claim> parse_claims(const YAML::Node& experiment, const std::string& source);

/// The claims of an experiment file (UserError when it cannot be read).
std::vector<Claim> load_claims(const std::string& path);

/// One-sided p-value of Welch's t-test that mean(a) > mean(b); NaN with fewer than 2 values a side.
double welch_greater_p(const std::vector<double>& a, const std::vector<double>& b);

/// The regularized incomplete beta function I_x(a, b) (for the Student t distribution).
double incomplete_beta(double x, double a, double b);

/// The scorecard: one row per claim (claim, left, right mean ± std, effect, p, n, verdict); nullopt
/// when there are no claims.
std::optional<Table> scorecard_table(const std::vector<Claim>& claims, const ReportContext& context);

}  // namespace attnlab::analysis
