#pragma once
/// Helpers of the task tests: build a task or a task dataset from a `data.task` YAML map.

#include <memory>
#include <string>

#include "config/yaml_loader.h"
#include "core/error.h"
#include "data/dataset.h"
#include "registry.h"

namespace attnlab::testing {

/// The `data` group of a task: `task_yaml` is the body of data.task, e.g. "name: mqar\nseq_len: 64".
inline data::DataOptions task_data_options(const std::string& task_yaml) {
  register_builtin_variants();
  std::string indented = "task:\n";
  size_t start = 0;
  while (start < task_yaml.size()) {
    const size_t end = task_yaml.find('\n', start);
    indented += "  " + task_yaml.substr(start, end - start) + "\n";
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return data::DataOptions::from_config(cfg::parse_yaml(indented, "test.yaml"));
}

/// The task dataset (test set and training set generated).
inline std::shared_ptr<data::TaskDataset> task_dataset(const std::string& task_yaml) {
  return data::TaskDataset::create(task_data_options(task_yaml));
}

/// The message of the UserError that building the dataset throws ("" when it does not throw).
inline std::string task_error(const std::string& task_yaml) {
  try {
    task_dataset(task_yaml);
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

}  // namespace attnlab::testing
