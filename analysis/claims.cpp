#include "analysis/claims.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "analysis/hybrid_tables.h"
#include "analysis/persistence_table.h"
#include "analysis/sparsity_table.h"
#include "analysis/stats.h"
#include "core/error.h"
#include "results/schema.h"

namespace attnlab::analysis {
namespace {

constexpr double kAlpha = 0.05;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// The median of a run's per-layer persistence ratios (Scissorhands: "> 0.95 in most layers").
double median_persistence(const LoadedRun& run) {
  std::vector<double> ratios;
  for (const auto& [layer, ratio] : persistence_by_layer(run)) ratios.push_back(ratio);
  if (ratios.empty()) return kNaN;
  std::sort(ratios.begin(), ratios.end());
  const size_t n = ratios.size();
  return n % 2 ? ratios[n / 2] : 0.5 * (ratios[n / 2 - 1] + ratios[n / 2]);
}

double metric_value(const LoadedRun& run, const std::string& metric) {
  if (metric == "persistence") return median_persistence(run);
  if (metric == "pruned_pct") return 100.0 * final_pruned_fraction(run).value_or(kNaN);
  if (metric == "skip_ppl") return final_split_value(run, "val_skip", "ppl");
  if (metric == "skip_accuracy") return final_split_value(run, "val_skip", "accuracy");
  if (metric == "skip_ar_hit_ppl") return std::exp(final_split_value(run, "val_skip", "ar_hit_loss"));
  if (!run.final_val) return kNaN;
  if (metric == "ar_hit_ppl") return run.final_val->ar_hit_ppl;
  if (metric == "other_ppl") return run.final_val->other_ppl;
  if (metric == "val_loss") return run.final_val->loss;
  if (metric == "val_ppl") return run.final_val->ppl;
  if (metric == "val_bpc") return run.final_val->bpc;
  return run.final_val->accuracy;  // "accuracy"
}

/// A side's KV budget (`cache` and `cache.ratio` in its selector: a row of /eval_budget, as
/// `attnlab eval` wrote it, instead of /eval).
struct Budget {
  std::string policy;  ///< empty: the side reads /eval
  double ratio = 1.0;
};

Budget take_budget(std::map<std::string, std::string>& selector) {
  Budget budget;
  if (auto it = selector.find("cache"); it != selector.end()) budget.policy = it->second, selector.erase(it);
  if (auto it = selector.find("cache.ratio"); it != selector.end()) budget.ratio = std::stod(it->second), selector.erase(it);
  return budget;
}

/// The last /eval_budget row of the budget's policy and ratio (rounded to 0.01): its metric.
double budget_value(const LoadedRun& run, const Budget& budget, const std::string& metric) {
  const char* kTable = results::kEvalBudgetTable;
  const results::RunReader& reader = *run.reader;
  const std::string column = metric == "accuracy" ? "accuracy" : metric == "val_ppl" ? "ppl" : "loss";
  if (!reader.has_table(kTable)) return kNaN;
  const auto columns = reader.columns(kTable);
  if (std::none_of(columns.begin(), columns.end(), [&](const auto& c) { return c.name == column; })) return kNaN;
  const auto policies = reader.strings(kTable, "policy");
  const auto ratios = reader.doubles(kTable, "ratio");
  const auto values = reader.doubles(kTable, column);
  for (size_t i = policies.size(); i-- > 0;)
    if (policies[i] == budget.policy && std::round(ratios[i] * 100) == std::round(budget.ratio * 100)) return values[i];
  return kNaN;
}

bool same_value(const std::string& a, const std::string& b) {
  if (a == b) return true;
  char* end_a = nullptr;
  char* end_b = nullptr;
  const double x = std::strtod(a.c_str(), &end_a), y = std::strtod(b.c_str(), &end_b);
  // 1e-3 in a claim and 0.001 in a config are the same learning rate
  return !a.empty() && !b.empty() && *end_a == '\0' && *end_b == '\0' && x == y;
}

bool matches(const LoadedRun& run, const std::map<std::string, std::string>& selector) {
  for (const auto& [key, value] : selector) {
    std::string actual;
    if (key == "mixer") actual = mixer_label(run);
    else if (key == "hybrid.layers") actual = hybrid_placement(run);
    else if (const std::string* found = find_value(run.config, key)) actual = *found;
    else return false;
    if (!same_value(actual, value)) return false;
  }
  return true;
}

/// A side's values: one per completed matching run; with best_of, only the runs of its best value.
std::vector<double> side_values(std::map<std::string, std::string> selector, const std::string& metric,
                                const ReportContext& context) {
  const bool higher_better = claim_metrics().at(metric);
  const Budget budget = take_budget(selector);
  std::map<std::string, std::vector<double>> by_value;
  for (const LoadedRun& run : context.runs) {
    if (run.status != results::status::kCompleted || !matches(run, selector)) continue;
    const double value = budget.policy.empty() ? metric_value(run, metric) : budget_value(run, budget, metric);
    if (!std::isfinite(value)) continue;
    const std::string* key = context.best_of.empty() || selector.count(context.best_of)
                                 ? nullptr
                                 : find_value(run.config, context.best_of);
    by_value[key ? *key : ""].push_back(value);
  }
  std::vector<double> best;
  double best_mean = 0;
  for (const auto& [key, values] : by_value) {
    const double m = mean_std(values).mean;
    if (best.empty() || (higher_better ? m > best_mean : m < best_mean)) best = values, best_mean = m;
  }
  return best;
}

std::string selector_text(const std::map<std::string, std::string>& selector) {
  std::string out;
  for (const auto& [key, value] : selector) out += (out.empty() ? "" : ", ") + key + "=" + value;
  return out;
}

/// Continued fraction of the incomplete beta function (modified Lentz).
double beta_fraction(double x, double a, double b) {
  constexpr double kTiny = 1e-300;
  double c = 1, d = 1 - (a + b) * x / (a + 1);
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= 300; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d, c = 1 + aa / c;
    d = std::fabs(d) < kTiny ? 1 / kTiny : 1 / d;
    c = std::fabs(c) < kTiny ? kTiny : c;
    h *= d * c;
    aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d, c = 1 + aa / c;
    d = std::fabs(d) < kTiny ? 1 / kTiny : 1 / d;
    c = std::fabs(c) < kTiny ? kTiny : c;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1) < 1e-15) break;
  }
  return h;
}

}  // namespace

const std::map<std::string, bool>& claim_metrics() {
  static const std::map<std::string, bool> metrics = {
      {"val_loss", false}, {"val_ppl", false}, {"val_bpc", false}, {"accuracy", true},
      {"skip_ppl", false}, {"skip_accuracy", true}, {"ar_hit_ppl", false}, {"other_ppl", false},
      {"skip_ar_hit_ppl", false}, {"persistence", true}, {"pruned_pct", true}};
  return metrics;
}

std::vector<Claim> parse_claims(const YAML::Node& experiment, const std::string& source) {
  std::vector<Claim> claims;
  const YAML::Node list = experiment["claims"];
  if (!list) return claims;
  auto where = [&](const YAML::Node& node) { return fmt::format("{}:{}", source, node.Mark().line + 1); };
  if (!list.IsSequence()) throw UserError(where(list) + ": claims: expected a list of claims");
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node item = list[i];
    Claim claim;
    claim.source = where(item);
    auto fail = [&](const std::string& key, const std::string& what) {
      const std::string at = item.IsMap() && item[key] ? where(item[key]) : claim.source;  // the key's own line
      throw UserError(fmt::format("{}: claims[{}].{}: {}", at, i, key, what));
    };
    if (!item.IsMap()) fail("", "expected a map with name, left, op, right, metric");
    for (const auto& entry : item) {
      const std::string key = entry.first.as<std::string>();
      static const std::vector<std::string> known = {"name", "left", "op", "right", "metric", "right_metric", "margin"};
      if (std::find(known.begin(), known.end(), key) == known.end()) fail(key, "unknown key" + did_you_mean(key, known));
    }
    auto scalar = [&](const std::string& key) {
      const YAML::Node node = item[key];
      if (!node || !node.IsScalar()) fail(key, "required, a single value");
      return node.as<std::string>();
    };
    auto selector = [&](const std::string& key) {
      const YAML::Node node = item[key];
      if (!node || !node.IsMap() || node.size() == 0) fail(key, "required, a map of config keys to values, e.g. {mixer: mlp}");
      std::map<std::string, std::string> out;
      for (const auto& entry : node) {
        if (!entry.second.IsScalar()) fail(key + "." + entry.first.as<std::string>(), "expected a single value");
        out[entry.first.as<std::string>()] = entry.second.as<std::string>();
      }
      return out;
    };
    claim.name = scalar("name");
    claim.left = selector("left");
    if (item["right"] && item["right"].IsScalar()) {
      const std::string text = item["right"].as<std::string>();
      char* end = nullptr;
      const double value = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0' || !std::isfinite(value))
        fail("right", "'" + text + "': expected a map of config keys to values, e.g. {mixer: mlp}, or a number");
      if (item["right_metric"]) fail("right_metric", "a constant right side has no metric");
      claim.right_value = value;
    } else {
      claim.right = selector("right");
    }
    const std::string op = scalar("op");
    if (op != ">" && op != "<") fail("op", "'" + op + "': expected \">\" or \"<\"");
    claim.greater = op == ">";
    auto metric = [&](const std::string& key) {
      const std::string name = scalar(key);
      if (!claim_metrics().count(name)) {
        std::vector<std::string> names;
        for (const auto& [known_name, higher] : claim_metrics()) names.push_back(known_name);
        fail(key, "unknown metric '" + name + "'" + did_you_mean(name, names));
      }
      return name;
    };
    claim.metric = metric("metric");
    claim.right_metric = item["right_metric"] ? metric("right_metric") : claim.metric;
    for (const auto& [side, side_metric] : {std::pair{"left", claim.metric}, std::pair{"right", claim.right_metric}}) {
      const auto& chosen = std::string(side) == "left" ? claim.left : claim.right;
      if (chosen.count("cache.ratio") && !chosen.count("cache")) fail(side, "cache.ratio needs cache: <policy> beside it");
      if (auto it = chosen.find("cache.ratio"); it != chosen.end()) {
        char* end = nullptr;
        const double ratio = std::strtod(it->second.c_str(), &end);
        if (*end != '\0' || !(ratio >= 1)) fail(side, "cache.ratio: '" + it->second + "': expected a number >= 1");
      }
      if (chosen.count("cache") && side_metric != "accuracy" && side_metric != "val_ppl" && side_metric != "val_loss")
        fail(side, "a side with cache: reads /eval_budget, whose metrics are accuracy, val_ppl and val_loss, not " + side_metric);
    }
    if (item["margin"]) {
      std::string text = scalar("margin");
      const bool ratio = !text.empty() && (text.back() == 'x' || text.back() == 'X');
      if (ratio) text.pop_back();
      char* end = nullptr;
      claim.margin = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0' || !std::isfinite(claim.margin) || (ratio && claim.margin <= 0) || claim.margin < 0)
        fail("margin", "'" + scalar("margin") + "': expected a ratio like 1.5x or a difference like 0.1");
      claim.margin_kind = ratio ? Claim::Margin::Ratio : Claim::Margin::Difference;
    }
    claims.push_back(std::move(claim));
  }
  return claims;
}

std::vector<Claim> load_claims(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    throw UserError(fmt::format("{}:{}: {}", path, e.mark.line + 1, e.msg));
  }
  return parse_claims(root, path);
}

double incomplete_beta(double x, double a, double b) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const double front = std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x));
  // the fraction converges fast for x below the mean a / (a + b); use the symmetry above it
  if (x < (a + 1) / (a + b + 2)) return front * beta_fraction(x, a, b) / a;
  return 1 - front * beta_fraction(1 - x, b, a) / b;
}

double welch_greater_p(const std::vector<double>& a, const std::vector<double>& b) {
  const MeanStd x = mean_std(a), y = mean_std(b);
  if (x.n < 2 || y.n < 2) return kNaN;
  const double va = x.std * x.std / x.n, vb = y.std * y.std / y.n;
  const double se = std::sqrt(va + vb);
  if (se == 0) return x.mean > y.mean ? 0.0 : x.mean < y.mean ? 1.0 : kNaN;
  const double t = (x.mean - y.mean) / se;
  const double df = (va + vb) * (va + vb) / (va * va / (x.n - 1) + vb * vb / (y.n - 1));
  const double tail = 0.5 * incomplete_beta(df / (df + t * t), df / 2, 0.5);  // P(T > |t|)
  return t > 0 ? tail : 1 - tail;
}

std::optional<Table> scorecard_table(const std::vector<Claim>& claims, const ReportContext& context) {
  if (claims.empty()) return std::nullopt;
  Table table;
  table.name = "claims";
  table.title = "Claims scorecard";
  table.columns = {"claim", "left", "right", "left mean", "right mean", "effect", "p", "n", "verdict"};
  for (const Claim& claim : claims) {
    const std::vector<double> left = side_values(claim.left, claim.metric, context);
    // a constant is two equal values: Welch's test against a side without spread is the one-sample t-test
    std::vector<double> right = claim.right_value ? std::vector<double>(2, *claim.right_value)
                                                   : side_values(claim.right, claim.right_metric, context);
    const MeanStd l = mean_std(left), r = mean_std(right);
    // the margin moves the right side: left > 1.5x right, left < right - 0.1, ...
    std::vector<double> shifted = right;
    for (double& v : shifted) {
      if (claim.margin_kind == Claim::Margin::Ratio) v = claim.greater ? v * claim.margin : v / claim.margin;
      if (claim.margin_kind == Claim::Margin::Difference) v = claim.greater ? v + claim.margin : v - claim.margin;
    }
    const double p_greater = welch_greater_p(left, shifted);
    const double p_claim = claim.greater ? p_greater : 1 - p_greater;
    std::string verdict = "undecided", p_text = "—";
    if (l.n < 2 || r.n < 2) {
      verdict = fmt::format("undecided (needs 2 runs a side)");
    } else if (std::isfinite(p_claim)) {
      if (p_claim < kAlpha) verdict = "holds";
      else if (1 - p_claim < kAlpha) verdict = "fails";
      p_text = fmt::format("{:.2g}", verdict == "fails" ? 1 - p_claim : p_claim);
    }
    std::string effect = "—";
    if (l.n && r.n)
      effect = r.mean != 0 ? fmt::format("{:+.3g} ({:.3g}x)", l.mean - r.mean, l.mean / r.mean)
                           : fmt::format("{:+.3g}", l.mean - r.mean);
    // "ppl collapses [val_ppl >, margin 1.5x]", "(d) [skip_accuracy < accuracy, margin 0.5]"
    std::string rule = claim.metric + (claim.greater ? " >" : " <");
    if (claim.right_metric != claim.metric) rule += " " + claim.right_metric;
    if (claim.margin_kind == Claim::Margin::Ratio) rule += fmt::format(", margin {:g}x", claim.margin);
    if (claim.margin_kind == Claim::Margin::Difference) rule += fmt::format(", margin {:g}", claim.margin);
    table.rows.push_back({Cell::text_cell(claim.name + " [" + rule + "]"), Cell::text_cell(selector_text(claim.left)),
                          Cell::text_cell(claim.right_value ? "constant" : selector_text(claim.right)),
                          Cell::mean_std(l.mean, l.std, l.n, 4),
                          claim.right_value ? Cell::number(*claim.right_value, 4) : Cell::mean_std(r.mean, r.std, r.n, 4),
                          Cell::text_cell(effect), Cell::text_cell(p_text),
                          Cell::text_cell(claim.right_value ? fmt::format("{}/—", l.n) : fmt::format("{}/{}", l.n, r.n)),
                          Cell::text_cell(verdict)});
  }
  table.note = "One row per claim of the experiment file: left and right are mean ± std over the completed runs that "
               "match (with --best-of, the best value of its key per side). The verdict is holds when a one-sided "
               "Welch t-test gives p < 0.05 for left op right (the margin applied to the right side), fails when it "
               "gives p < 0.05 for the opposite, and undecided otherwise. p is for the side the verdict names.";
  return table;
}

}  // namespace attnlab::analysis
