#include "analysis/report_sections.h"

#include "analysis/perplexity_table.h"
#include "analysis/val_loss_plot.h"

namespace attnlab::analysis {

ReportSections builtin_sections() {
  ReportSections sections;
  sections.tables.push_back(perplexity_table);
  sections.plots.push_back(val_loss_plot);
  return sections;
}

}  // namespace attnlab::analysis
