// libFuzzer target: YAML loading (config/yaml_loader.h) and Hydra-like composition
// (config/compose.h: defaults lists, groups, _self_, experiments, overrides, interpolation).
//
// Input: sections separated by lines holding exactly "%%", in this order:
//   0 configs/config.yaml   1 configs/mixer/a.yaml   2 configs/mixer/b.yaml   3 configs/model/x.yaml
//   4 configs/base.yaml     5 exp.yaml (the experiment file)   6 command-line overrides, one a line
// A missing section means a missing file (no experiment, no overrides); an input without "%%"
// is config.yaml alone, so plain YAML files are seeds too.
//
// Each YAML section goes through parse_yaml in memory (and Node::to_yaml must read back to an
// equal tree); config.yaml also gets the override lines through apply_override. When every
// section parses, the files are written to a fixed folder on tmpfs (compose() reads a
// directory; there is no in-memory entry point) and compose() runs on them.
// Expected errors are attnlab::UserError; anything else is a finding.
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config/compose.h"
#include "config/node.h"
#include "config/override.h"
#include "config/sweep.h"
#include "config/yaml_loader.h"
#include "core/error.h"

using namespace attnlab;
using namespace attnlab::cfg;
namespace fs = std::filesystem;

namespace {

const char* const kFiles[] = {"configs/config.yaml", "configs/mixer/a.yaml", "configs/mixer/b.yaml",
                              "configs/model/x.yaml", "configs/base.yaml",   "exp.yaml"};
constexpr size_t kYamlSections = sizeof kFiles / sizeof kFiles[0];
constexpr size_t kOverrideSection = kYamlSections;

fs::path g_dir;  // this process's scratch folder

[[noreturn]] void fail(const std::string& what, const std::string& detail) {
  std::fprintf(stderr, "FUZZ CHECK FAILED: %s\n%s\n", what.c_str(), detail.c_str());
  std::abort();
}

std::vector<std::string> split_sections(const std::string& input) {
  std::vector<std::string> out(1);
  size_t start = 0;
  while (start <= input.size()) {
    size_t end = input.find('\n', start);
    if (end == std::string::npos) end = input.size();
    const std::string line = input.substr(start, end - start);
    if (line == "%%") {
      out.emplace_back();
    } else {
      out.back() += line;
      if (end < input.size()) out.back() += '\n';
    }
    start = end + 1;
  }
  return out;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

/// Node::to_yaml promises "re-parseable to an equal tree".
void check_yaml_round_trip(const Node& node, const std::string& text) {
  const std::string printed = node.to_yaml();
  Node again;
  try {
    again = parse_yaml(printed, "round trip");
  } catch (const UserError& e) {
    fail("to_yaml output does not parse", "input:\n" + text + "\nprinted:\n" + printed + "\nerror: " + e.what());
  }
  if (again != node)
    fail("to_yaml round trip changed the tree",
         "input:\n" + text + "\nprinted:\n" + printed + "\nread back:\n" + again.to_yaml());
}

/// A sweep block expands to jobs whose overrides parse to single values.
void check_sweep(const Node& sweep) {
  if (!sweep.is_map()) return;
  size_t product = 1;
  for (const auto& entry : sweep.entries()) product *= std::max<size_t>(1, std::min<size_t>(entry.second.size(), 1000));
  if (product > 1000) return;
  std::vector<Job> jobs;
  try {
    jobs = expand_jobs({}, sweep, false);
  } catch (const UserError&) {
    return;
  }
  for (const auto& job : jobs)
    for (const auto& text : job.overrides) {
      try {
        if (parse_override(text).is_sweep()) fail("a sweep job's override is a sweep again", text);
      } catch (const UserError& e) {
        fail("a sweep job's override does not parse", text + " -> " + e.what());
      }
    }
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) fail("cannot write scratch file", path.string());
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const fs::path shm = "/dev/shm";
  const fs::path base = fs::is_directory(shm) && access(shm.c_str(), W_OK) == 0 ? shm : fs::temp_directory_path();
  g_dir = base / ("attnlab_compose_fuzz." + std::to_string(getpid()));
  fs::remove_all(g_dir);
  fs::create_directories(g_dir / "configs" / "mixer");
  fs::create_directories(g_dir / "configs" / "model");
  std::atexit([] {
    std::error_code ignored;
    fs::remove_all(g_dir, ignored);
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const std::vector<std::string> sections = split_sections(input);
  const std::vector<std::string> overrides =
      sections.size() > kOverrideSection ? split_lines(sections[kOverrideSection]) : std::vector<std::string>{};

  // In memory: parse each file, print it back, apply the overrides to config.yaml.
  bool all_parse = true;
  for (size_t i = 0; i < kYamlSections && i < sections.size(); ++i) {
    try {
      Node node = parse_yaml(sections[i], kFiles[i]);
      check_yaml_round_trip(node, sections[i]);
      if (i == 0 && (node.is_map() || node.is_null())) {
        for (const auto& text : overrides) {
          try {
            const Override override = parse_override(text);
            if (!override.is_sweep()) apply_override(node, override);
          } catch (const UserError&) {
          }
        }
      }
    } catch (const UserError&) {
      all_parse = false;
    }
  }
  if (!all_parse) return 0;  // compose() would stop at the same parse error (or skip that file)

  // On disk: the same files, composed.
  for (size_t i = 0; i < kYamlSections; ++i) {
    const fs::path path = g_dir / kFiles[i];
    if (i < sections.size()) {
      write_file(path, sections[i]);
    } else {
      fs::remove(path);
    }
  }
  ComposeRequest request;
  request.config_dir = (g_dir / "configs").string();
  if (sections.size() > 5) request.experiment_file = (g_dir / kFiles[5]).string();
  request.overrides = overrides;
  try {
    const Composition composition = compose(request);
    if (!composition.root.is_map()) fail("composed root is not a map", composition.root.to_yaml());
    check_yaml_round_trip(composition.root, "<composed>\n" + input);
    check_sweep(composition.sweep);
  } catch (const UserError&) {
  }
  return 0;
}
