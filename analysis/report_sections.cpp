#include "analysis/report_sections.h"

#include "analysis/accuracy_table.h"
#include "analysis/budget_plot.h"
#include "analysis/budget_table.h"
#include "analysis/hybrid_tables.h"
#include "analysis/perplexity_table.h"
#include "analysis/persistence_table.h"
#include "analysis/pruning_map_figure.h"
#include "analysis/sparsity_table.h"
#include "analysis/train_loss_plot.h"
#include "analysis/val_loss_plot.h"

namespace attnlab::analysis {

ReportSections builtin_sections() {
  ReportSections sections;
  sections.tables.push_back(perplexity_table);
  sections.tables.push_back(deconstructing_table);
  sections.tables.push_back(deconstructing_ar_table);
  sections.tables.push_back(placement_table);
  sections.tables.push_back(accuracy_table);
  sections.tables.push_back(hybrid_accuracy_table);
  sections.tables.push_back(slice_accuracy_table);
  sections.tables.push_back(budget_table);
  sections.tables.push_back(budget_accuracy_table);
  sections.tables.push_back(persistence_table);
  sections.tables.push_back(sparsity_table);
  sections.plots.push_back(train_loss_plot);
  sections.plots.push_back(val_loss_plot);
  sections.plots.push_back(accuracy_plot);
  sections.plots.push_back(budget_plot);
  sections.plots.push_back(budget_accuracy_plot);
  sections.figures.push_back(pruning_map_figure);
  return sections;
}

}  // namespace attnlab::analysis
