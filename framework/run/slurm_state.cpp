#include "run/slurm_state.h"

#include <fmt/format.h>

#include <cstring>
#include <sstream>
#include <stdexcept>

namespace attnlab::slurm {

namespace {

int to_int(const std::string& text) {
  size_t used = 0;
  const int value = std::stoi(text, &used);
  if (used != text.size() || value < 0) throw std::invalid_argument("not an array index: '" + text + "'");
  return value;
}

/// "N:S" → (N, S); anything else leaves them 0.
void parse_exit_code(const std::string& text, TaskState& state) {
  const size_t colon = text.find(':');
  if (colon == std::string::npos) return;
  try {
    state.exit_code = std::stoi(text.substr(0, colon));
    state.signal = std::stoi(text.substr(colon + 1));
  } catch (const std::exception&) {
  }
}

void add_tasks(std::map<int, TaskState>& out, const std::string& indices, const TaskState& state) {
  for (int index : parse_array_indices(indices)) out[index] = state;
}

/// How index.yaml explains a final state Slurm imposed on a task.
const std::map<std::string, std::string>& ended_by_slurm() {
  static const std::map<std::string, std::string> reasons = {
      {"CANCELLED", "scancel, or an administrator"},
      {"TIMEOUT", "reached its time limit: launcher.time"},
      {"OUT_OF_MEMORY", "exceeded its memory: launcher.mem"},
      {"NODE_FAIL", "its node failed"},
      {"PREEMPTED", "preempted by another job"},
      {"BOOT_FAIL", "its node failed to boot"},
      {"DEADLINE", "missed its deadline"},
  };
  return reasons;
}

}  // namespace

std::vector<int> parse_array_indices(const std::string& text) {
  std::string body = text;
  if (!body.empty() && body.front() == '[') {
    if (body.back() != ']') throw std::invalid_argument("not an array index list: '" + text + "'");
    body = body.substr(1, body.size() - 2);
  }
  if (const size_t throttle = body.find('%'); throttle != std::string::npos) body.resize(throttle);
  if (body.empty()) throw std::invalid_argument("empty array index list");
  std::vector<int> indices;
  std::istringstream parts(body);
  std::string part;
  while (std::getline(parts, part, ',')) {
    int step = 1;
    if (const size_t colon = part.find(':'); colon != std::string::npos) {
      step = to_int(part.substr(colon + 1));
      part.resize(colon);
      if (step == 0) throw std::invalid_argument("array index step 0 in '" + text + "'");
    }
    const size_t dash = part.find('-');
    const int first = to_int(part.substr(0, dash));
    const int last = dash == std::string::npos ? first : to_int(part.substr(dash + 1));
    if (last < first) throw std::invalid_argument("descending array index range '" + part + "'");
    for (int index = first; index <= last; index += step) indices.push_back(index);
  }
  return indices;
}

std::map<int, TaskState> parse_scontrol(const std::string& text, const std::string& array_job_id) {
  std::map<int, TaskState> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::map<std::string, std::string> fields;
    std::istringstream words(line);
    std::string word;
    while (words >> word) {
      const size_t eq = word.find('=');
      if (eq != std::string::npos) fields.emplace(word.substr(0, eq), word.substr(eq + 1));
    }
    if (fields["ArrayJobId"] != array_job_id || fields["ArrayTaskId"].empty()) continue;
    TaskState state;
    state.state = fields["JobState"];
    parse_exit_code(fields["ExitCode"], state);
    add_tasks(out, fields["ArrayTaskId"], state);
  }
  return out;
}

std::map<int, TaskState> parse_sacct(const std::string& text, const std::string& array_job_id) {
  std::map<int, TaskState> out;
  std::istringstream lines(text);
  std::string line;
  const std::string prefix = array_job_id + "_";
  while (std::getline(lines, line)) {
    std::vector<std::string> columns;
    std::istringstream cells(line);
    std::string cell;
    while (std::getline(cells, cell, '|')) columns.push_back(cell);
    if (columns.size() < 3 || columns[0].rfind(prefix, 0) != 0) continue;
    const std::string indices = columns[0].substr(prefix.size());
    if (indices.find('.') != std::string::npos) continue;  // a job step (1234_2.batch), not the task
    TaskState state;
    state.state = columns[1].substr(0, columns[1].find(' '));  // "CANCELLED by 0" -> CANCELLED
    parse_exit_code(columns[2], state);
    add_tasks(out, indices, state);
  }
  return out;
}

bool is_final(const std::string& state) {
  return state == "COMPLETED" || state == "FAILED" || ended_by_slurm().count(state) > 0;
}

TaskOutcome task_outcome(const TaskState& state, const std::string& task_id, const std::string& error_file) {
  TaskOutcome outcome;
  if (state.state == "COMPLETED") {
    outcome.completed = true;
    return outcome;
  }
  const auto by_slurm = ended_by_slurm().find(state.state);
  if (by_slurm != ended_by_slurm().end()) {
    outcome.error = fmt::format("Slurm job {} {} ({})", task_id, state.state, by_slurm->second);
    outcome.process_died = true;
  } else {  // FAILED: the job's own error, as the local launcher records it
    outcome.process_died = state.signal != 0;
    outcome.error = !error_file.empty() ? error_file
                    : state.signal != 0 ? fmt::format("killed by signal {} ({})", state.signal, strsignal(state.signal))
                                        : fmt::format("exit code {}", state.exit_code);
  }
  return outcome;
}

}  // namespace attnlab::slurm
