#include "studies/budget_study.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <ostream>
#include <set>

#include "config/compose.h"
#include "config/override.h"
#include "config/sweep.h"
#include "config/yaml_loader.h"
#include "core/error.h"
#include "studies/budget_eval.h"
#include "infer/cache_config.h"
#include "infer/decoder.h"
#include "studies/result_appender.h"
#include "studies/trained_run.h"

namespace attnlab {

namespace fs = std::filesystem;

namespace {

using results::kEvalBudgetTable;

/// configs/cache/<name>.yaml, or the shared keys with their defaults for a registered policy without a file.
cfg::Node cache_option(const std::string& config_dir, const std::string& name) {
  for (const char* extension : {".yaml", ".yml"}) {
    const fs::path file = fs::path(config_dir) / "cache" / (name + extension);
    if (fs::exists(file)) return cfg::load_yaml_file(file.string());
  }
  policy_registry().get(name);  // UserError with the closest registered name
  const cfg::Source source{"command line", 0, 0};
  cfg::Node spec = cfg::Node::map(source);
  spec["name"] = cfg::Node::scalar(name, source);
  spec["budget"] = cfg::Node::scalar("0", source);
  spec["ratio"] = cfg::Node::scalar("1", source);
  spec["layer_budget"] = cfg::Node::scalar("uniform", source);
  return spec;
}

const std::vector<std::string>& overridable_sections() {
  static const std::vector<std::string> sections = {"cache", "eval", "device", "threads"};
  return sections;
}

std::vector<results::Column> columns() {
  using results::ColumnType;
  return {{"policy", ColumnType::String},   {"budget", ColumnType::Int64},       {"ratio", ColumnType::Float64},
          {"loss", ColumnType::Float64},    {"ppl", ColumnType::Float64},        {"kv_bytes", ColumnType::Int64},
          {"tokens_per_s", ColumnType::Float64}, {"layer_budget", ColumnType::String}, {"step", ColumnType::Int64},
          {"accuracy", ColumnType::Float64}};
}

/// One evaluation: the configs its overrides give.
struct Job {
  RunConfig config;
  CacheConfig cache;
};

std::string kib(int64_t bytes) { return fmt::format("{:.1f} KiB", static_cast<double>(bytes) / 1024.0); }

}  // namespace

std::vector<std::string> eval_budget_columns() {
  std::vector<std::string> names;
  for (const auto& column : columns()) names.push_back(column.name);
  return names;
}

cfg::Node compose_eval_config(const cfg::Node& run_config, const std::vector<std::string>& overrides,
                              const std::string& config_dir) {
  cfg::Node root = run_config;
  std::vector<cfg::Override> values;
  std::string policy;
  for (const auto& text : overrides) {
    cfg::Override o = cfg::parse_override(text);
    if (o.is_sweep()) throw UserError("command line: " + text + ": comma lists and range() sweep only with -m");
    const std::string section = o.key.substr(0, o.key.find('.'));
    const auto& allowed = overridable_sections();
    if (std::find(allowed.begin(), allowed.end(), section) == allowed.end()) {
      throw UserError("command line: " + text + ": attnlab eval cannot change '" + section +
                      "' (the checkpoint fixes it); override " + join(allowed));
    }
    if (o.key == "cache") {
      if (o.kind != cfg::Override::Kind::Set || !o.value.is_scalar()) {
        throw UserError("command line: " + text + ": choose the eviction policy with cache=<name>");
      }
      policy = o.value.text();
    } else {
      values.push_back(std::move(o));
    }
  }
  if (!policy.empty()) {
    root["cache"] = cache_option(config_dir, policy);
  } else if (!root.has("cache")) {
    root["cache"] = cache_option(config_dir, "full");
  }
  for (const auto& o : values) cfg::apply_override(root, o);
  return root;
}

int run_budget_study(const BudgetStudyRequest& request, std::ostream& out) {
  const fs::path dir(request.run_dir);
  const cfg::Node saved = TrainedRun::read_config(dir);

  // Every job is composed and checked before anything is evaluated or written. A sweep that crosses
  // `full` with ratios evaluates the full cache once (it ignores the budget).
  std::vector<Job> jobs;
  std::set<std::string> full_done;
  for (const cfg::Job& spec : cfg::expand_jobs(request.overrides, cfg::Node(), request.multirun)) {
    cfg::Node root = compose_eval_config(saved, spec.overrides, request.config_dir);
    Job job;
    job.cache = CacheConfig::from_config(*root.find("cache"));
    root.erase("cache");
    job.config = RunConfig::from_config(root);
    const std::string full_key = fmt::format("{} {} {}", job.config.eval.max_windows, job.config.eval.batch_size,
                                             job.config.device);
    if (!job.cache.policy->evicts() && !full_done.insert(full_key).second) continue;
    jobs.push_back(std::move(job));
  }
  TrainedRun run = TrainedRun::load(dir, jobs.front().config, /*allow_task=*/true);
  for (const Job& job : jobs) {  // budgets and policy against this model, before any row is written
    Decoder(run.model, job.cache.policy, job.cache.layer_budgets(run.model->n_layers(), run.seq_len()));
  }
  ResultAppender appender(dir);
  // a file from before the accuracy column keeps its columns (rows are cut to them)
  if (!appender.store().has_table(kEvalBudgetTable)) appender.store().define_table(kEvalBudgetTable, columns());
  const size_t n_columns = appender.store().columns(kEvalBudgetTable).size();

  out << fmt::format("eval     {} (step {}, {} layers, {})", dir.string(), run.step, run.model->n_layers(),
                     run.model->plan().summary())
      << std::endl;
  for (const Job& job : jobs) {
    const BudgetEvalResult r =
        evaluate_budget(run.model, run.eval_set(job.config.eval.max_windows), job.config.eval.batch_size, job.cache);
    const std::string allocation = layer_allocation_names()[static_cast<size_t>(job.cache.budget.allocation)];
    std::vector<results::Value> row = {job.cache.policy_name, r.budget,          r.ratio,    r.loss,   r.ppl,
                                       r.kv_bytes,            r.tokens_per_s,    allocation, run.step, r.accuracy};
    row.resize(n_columns);
    appender.store().append(kEvalBudgetTable, row);
    appender.flush();
    out << fmt::format("{:<12} ratio {:>5.2f}  budget {:>4}/{}  | loss {:.4f} | ppl {:.3f}{} | kv {} per sequence | {:.0f} tok/s",
                       job.cache.policy_name, r.ratio, r.budget, r.context_len, r.loss, r.ppl,
                       std::isnan(r.accuracy) ? "" : fmt::format(" | accuracy {:.4f}", r.accuracy), kib(r.kv_bytes),
                       r.tokens_per_s);
    if (!r.has_kv_layers) out << "  (no layer holds a KV cache: recurrent state, the policy and budget do not apply)";
    out << std::endl;
  }
  out << fmt::format("wrote {} row(s) to {}{}", jobs.size(), appender.path(), kEvalBudgetTable) << std::endl;
  return 0;
}

}  // namespace attnlab
