#pragma once
/// Probe-task tables (runs whose data group is a task, `data.task`):
/// - accuracy: rows are mixers (with the hybrid placement), columns are task settings (the task's
///   name and whichever of its options vary, e.g. `mqar num_kv_pairs=16`); cells are the final test
///   accuracy, mean ± std over seeds. With `--best-of KEY` (e.g. train.lr), each cell shows the
///   value of KEY whose seeds have the best mean, as Zoology and MAD report, and which one won.
///   A task with several settings also gets a MAD-style score: its mean accuracy over them.
/// - slices: per row and task setting, the final accuracy of every slice (MQAR's query distances).
/// - uniform vs hybrid vs skip: Deconstructing Attention's Table 1 read in accuracy. Per mixer and
///   task setting, the uniform model, each hybrid placement (`softmax@even`), and that hybrid
///   evaluated with its variant layers removed (split val_skip). With `--best-of`, the hybrid's
///   winning value also picks its skip runs: skip shows the model the hybrid column reports.

#include <optional>

#include "analysis/report_sections.h"

namespace attnlab::analysis {

std::optional<Table> accuracy_table(const ReportContext& context);
std::optional<Table> slice_accuracy_table(const ReportContext& context);
/// nullopt unless the task runs include both uniform and hybrid runs.
std::optional<Table> hybrid_accuracy_table(const ReportContext& context);

}  // namespace attnlab::analysis
