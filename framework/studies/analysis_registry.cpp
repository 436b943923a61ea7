#include "studies/analysis_registry.h"

namespace attnlab {

Registry<AnalysisSetup>& analysis_registry() {
  static Registry<AnalysisSetup> registry("analysis");
  return registry;
}

}  // namespace attnlab
