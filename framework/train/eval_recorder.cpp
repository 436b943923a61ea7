#include "train/eval_recorder.h"

#include <fmt/format.h>

#include <cmath>

#include "results/run_store.h"
#include "run/run_log.h"

namespace attnlab {

using results::ColumnType;

namespace {

double mean_of_defined(const std::vector<double>& values) {
  double sum = 0.0;
  int64_t n = 0;
  for (double v : values) {
    if (!std::isnan(v)) sum += v, ++n;
  }
  return n ? sum / static_cast<double>(n) : std::nan("");
}

}  // namespace

EvalRecorder::EvalRecorder(results::RunStore& store, RunLog& log, std::vector<std::string> slice_names)
    : store_(store), log_(log), slice_names_(std::move(slice_names)),
      eval_columns_(store.columns(results::kEvalTable).size()) {
  if (!slice_names_.empty()) {
    store_.define_table(results::kEvalSlicesTable, {{"step", ColumnType::Int64},
                                                    {"split", ColumnType::String},
                                                    {"slice", ColumnType::String},
                                                    {"accuracy", ColumnType::Float64},
                                                    {"answers", ColumnType::Int64}});
  }
  store_.define_table(results::kLogitScaleTable, {{"step", ColumnType::Int64},
                                                  {"layer", ColumnType::Int64},
                                                  {"max_abs_score", ColumnType::Float64}});
}

void EvalRecorder::record(int64_t step, const EvalResult& val, const EvalResult* skip) {
  record_split(step, results::kValSplit, val);
  const std::string stats_line = record_layers(step, val);
  if (skip) record_split(step, results::kValSkipSplit, *skip);
  store_.flush();
  auto line = [&](const std::string& split, const EvalResult& r) {
    log_.line(fmt::format("eval step {:>6} | {} loss {:.4f} | ppl {:.3f} | bpc {:.4f}{}", step, split, r.loss, r.ppl,
                          r.bpc, std::isnan(r.accuracy) ? "" : fmt::format(" | accuracy {:.4f}", r.accuracy)));
  };
  line(results::kValSplit, val);
  if (!stats_line.empty()) log_.line(stats_line);
  if (skip) line(results::kValSkipSplit, *skip);
}

void EvalRecorder::record_split(int64_t step, const std::string& split, const EvalResult& r) {
  std::vector<results::Value> row = {step,       split,         r.loss,        r.ppl,        r.bpc,
                                     r.accuracy, r.answer_loss, r.ar_hit_loss, r.other_loss, r.ar_hit_share};
  row.resize(eval_columns_);
  store_.append(results::kEvalTable, row);
  for (size_t s = 0; s < r.slice_accuracy.size(); ++s) {
    store_.append(results::kEvalSlicesTable, {step, split, slice_names_[s], r.slice_accuracy[s], r.slice_answers[s]});
  }
}

std::string EvalRecorder::record_layers(int64_t step, const EvalResult& r) {
  for (size_t layer = 0; layer < r.max_abs_score.size(); ++layer) {
    if (!std::isnan(r.max_abs_score[layer])) {
      store_.append(results::kLogitScaleTable, {step, static_cast<int64_t>(layer), r.max_abs_score[layer]});
    }
  }
  if (r.mixer_stats.empty()) return "";
  store_.define_table(results::kMixerStatsTable, {{"step", ColumnType::Int64},
                                                  {"layer", ColumnType::Int64},
                                                  {"name", ColumnType::String},
                                                  {"value", ColumnType::Float64}});
  std::string line = fmt::format("eval step {:>6} | mixer stats (mean of layers):", step);
  for (const auto& [name, per_layer] : r.mixer_stats) {
    for (size_t layer = 0; layer < per_layer.size(); ++layer) {
      if (std::isnan(per_layer[layer])) continue;
      store_.append(results::kMixerStatsTable, {step, static_cast<int64_t>(layer), name, per_layer[layer]});
    }
    const double all = mean_of_defined(per_layer);
    store_.append(results::kMixerStatsTable, {step, results::kAllLayers, name, all});
    line += fmt::format(" {} {:.4f}", name, all);
  }
  return line;
}

}  // namespace attnlab
