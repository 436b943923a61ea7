#include "config/sweep.h"

#include <cctype>
#include <map>
#include <optional>

#include "config/map_reader.h"
#include "config/override.h"
#include "core/error.h"

namespace attnlab::cfg {
namespace {

struct Axis {
  Override proto;                     // the override whose value varies
  std::vector<std::string> values;    // value texts
  std::optional<size_t> cli_index;    // position among the command-line overrides, if from there
};

/// The values of one sweep-block entry, as override value texts.
Axis file_axis(const std::string& key, const Node& value) {
  Axis axis;
  if (value.is_sequence()) {
    axis.proto = parse_override(key + "=0", value.source().str());
    for (const auto& item : value.items()) axis.values.push_back(to_override_value(item));
  } else if (value.is_scalar() && value.quoted()) {
    axis.proto = parse_override(key + "=0", value.source().str());
    axis.values.push_back(to_override_value(value));
  } else if (value.is_scalar()) {
    axis.proto = parse_override(key + "=" + value.text(), value.source().str());
    axis.values = axis.proto.is_sweep() ? axis.proto.sweep : std::vector<std::string>{axis.proto.value_text};
  } else {
    fail_at(value.source(), "sweep: " + key + ": expected a list of values, a comma list or range(...), got a " +
                                value.kind_name());
  }
  if (axis.values.empty()) fail_at(value.source(), "sweep: " + key + ": no values to sweep");
  if (axis.proto.kind == Override::Kind::Delete) fail_at(value.source(), "sweep: " + key + ": a delete cannot sweep");
  return axis;
}

}  // namespace

std::string safe_dir_name(const std::string& name) {
  static const std::string allowed = "._=,+@-";
  std::string out;
  for (char c : name) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || allowed.find(c) != std::string::npos;
    out += ok ? c : '_';
  }
  if (!out.empty() && out.front() == '.') out.front() = '_';
  if (out.size() > 200) out.resize(200);
  return out;
}

std::vector<Job> expand_jobs(const std::vector<std::string>& cli_overrides, const Node& sweep_block,
                             bool multirun) {
  std::vector<Axis> axes;
  if (!sweep_block.is_null()) {
    if (!sweep_block.is_map())
      fail_at(sweep_block.source(),
              std::string("sweep: expected a map of key: values, got a ") + sweep_block.kind_name());
    for (const auto& [key, value] : sweep_block.entries()) axes.push_back(file_axis(key, value));
  }
  auto find_axis = [&](const std::string& key) {
    for (size_t i = 0; i < axes.size(); ++i)
      if (axes[i].proto.key == key) return i;
    return axes.size();
  };

  std::vector<Override> cli;
  for (size_t i = 0; i < cli_overrides.size(); ++i) {
    Override override = parse_override(cli_overrides[i]);
    const size_t existing = find_axis(override.key);
    if (override.is_sweep()) {
      if (!multirun)
        throw UserError("command line: " + override.text +
                        ": comma-separated values or range() make a sweep; did you forget -m? "
                        "(quote the value for a literal comma: key='a,b')");
      Axis axis{override, override.sweep, i};
      if (existing < axes.size()) {
        axes[existing] = std::move(axis);
      } else {
        axes.push_back(std::move(axis));
      }
    } else if (existing < axes.size() && !axes[existing].cli_index) {
      axes.erase(axes.begin() + static_cast<long>(existing));
    }
    cli.push_back(std::move(override));
  }

  std::vector<Job> jobs;
  std::map<std::string, int> names;
  std::vector<size_t> choice(axes.size(), 0);
  while (true) {
    Job job;
    std::vector<std::string> cli_texts;
    for (const auto& override : cli) cli_texts.push_back(override.text);
    std::vector<std::string> parts;
    for (size_t a = 0; a < axes.size(); ++a) {
      const std::string text = axes[a].proto.with_value(axes[a].values[choice[a]]);
      parts.push_back(text);
      if (axes[a].cli_index) {
        cli_texts[*axes[a].cli_index] = text;
      } else {
        job.overrides.push_back(text);
      }
    }
    job.overrides.insert(job.overrides.end(), cli_texts.begin(), cli_texts.end());
    if (!axes.empty()) {
      job.name = safe_dir_name(join(parts, ","));
      if (const int seen = names[job.name]++) job.name += "_" + std::to_string(seen + 1);
    }
    jobs.push_back(std::move(job));

    size_t a = axes.size();
    while (a > 0 && ++choice[a - 1] == axes[a - 1].values.size()) choice[--a] = 0;
    if (a == 0) break;
  }
  return jobs;
}

}  // namespace attnlab::cfg
