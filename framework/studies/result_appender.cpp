#include "studies/result_appender.h"

#include "core/error.h"
#include "results/run_reader.h"

namespace attnlab {

namespace {

std::string run_file(const std::filesystem::path& run_dir) {
  const auto path = run_dir / "run.h5";
  if (!std::filesystem::exists(path)) throw UserError(run_dir.string() + ": no run.h5 to record the results in");
  return path.string();
}

std::vector<std::pair<std::string, std::string>> read_status(const std::string& path) {
  results::RunReader reader(path);
  std::vector<std::pair<std::string, std::string>> saved;
  for (const char* name : {results::attr::kStatus, results::attr::kError, results::attr::kFinishedAt})
    saved.emplace_back(name, reader.string_attribute(name));
  return saved;
}

}  // namespace

ResultAppender::ResultAppender(const std::filesystem::path& run_dir)
    : status_(read_status(run_file(run_dir))), store_(results::RunStore::open(run_file(run_dir))) {
  flush();
}

void ResultAppender::flush() {
  for (const auto& [name, value] : status_) store_.set_attribute(name, value);
  store_.flush();
}

}  // namespace attnlab
