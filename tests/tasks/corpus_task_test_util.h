#pragma once
/// Helpers of the tests of tasks built on a corpus (induction, passkey): a `data` group naming a
/// corpus file and holding a `data.task` map, and a task factory called on it directly.

#include <memory>
#include <stdexcept>
#include <string>

#include "config/scalar.h"
#include "config/yaml_loader.h"
#include "core/error.h"
#include "data/task.h"

namespace attnlab::testing {

/// The `data` group: data.path = `path` ("" leaves the default corpus) and data.task = the map whose
/// body is `task_yaml`, e.g. "name: induction\nseq_len: 64". Parsed as test.yaml.
inline data::DataOptions corpus_task_options(const std::string& path, const std::string& task_yaml) {
  std::string text = path.empty() ? "" : "path: " + cfg::double_quoted(path) + "\n";
  text += "task:\n";
  size_t start = 0;
  while (start < task_yaml.size()) {
    const size_t end = task_yaml.find('\n', start);
    text += "  " + task_yaml.substr(start, end - start) + "\n";
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return data::DataOptions::from_config(cfg::parse_yaml(text, "test.yaml"));
}

/// The task `factory` builds from `data` (task seed 0), as type T.
template <typename T>
std::shared_ptr<T> make_task_from(const data::TaskFactory& factory, const data::DataOptions& data) {
  const data::TaskContext context{data.task, 0, data};
  auto task = std::dynamic_pointer_cast<T>(factory(context));
  if (!task) throw std::logic_error("make_task_from: the factory built a task of another type");
  return task;
}

/// The task `factory` builds from corpus_task_options(path, task_yaml).
template <typename T>
std::shared_ptr<T> make_corpus_task(const data::TaskFactory& factory, const std::string& path,
                                    const std::string& task_yaml) {
  return make_task_from<T>(factory, corpus_task_options(path, task_yaml));
}

/// The message of the UserError that building the task throws ("" when it does not throw).
inline std::string corpus_task_error(const data::TaskFactory& factory, const std::string& path,
                                     const std::string& task_yaml) {
  try {
    make_corpus_task<data::Task>(factory, path, task_yaml);
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

}  // namespace attnlab::testing
