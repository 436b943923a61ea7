// libFuzzer target: the command-line override grammar (config/override.h) and sweep expansion.
// Input: one override as typed ("+a.b=[1,{c: x}]"), also read as a bare value ("[1,{c: x}]").
// Expected errors are attnlab::UserError; anything else, and a broken round trip, is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "config/node.h"
#include "config/override.h"
#include "config/sweep.h"
#include "core/error.h"

using namespace attnlab;
using namespace attnlab::cfg;

namespace {

[[noreturn]] void fail(const std::string& what, const std::string& input, const std::string& detail) {
  std::fprintf(stderr, "FUZZ CHECK FAILED: %s\n  input:  '%s'\n  detail: %s\n", what.c_str(), input.c_str(),
               detail.c_str());
  std::abort();
}

/// to_override_value must read back to an equal node (its documented contract).
void check_round_trip(const Node& node, const std::string& input) {
  const std::string rendered = to_override_value(node);
  Node again;
  try {
    again = parse_override_value(rendered, "round trip");
  } catch (const UserError& e) {
    fail("to_override_value output does not parse", input, rendered + " -> " + e.what());
  }
  if (again != node)
    fail("round trip changed the value", input,
         rendered + " -> " + to_override_value(again) + "\n" + node.to_yaml() + "vs\n" + again.to_yaml());
}

/// The override written back with its own value must parse to the same override.
void check_override(const Override& parsed, const std::string& input) {
  if (!parsed.has_value || parsed.is_sweep()) return;
  check_round_trip(parsed.value, input);
  const std::string text = parsed.with_value(to_override_value(parsed.value));
  try {
    const Override again = parse_override(text);
    if (again.kind != parsed.kind || again.key != parsed.key || again.is_sweep() || again.value != parsed.value)
      fail("with_value(to_override_value(value)) is another override", input, text);
  } catch (const UserError& e) {
    fail("with_value(to_override_value(value)) does not parse", input, text + " -> " + e.what());
  }
}

/// Every job of a command-line sweep holds single-valued overrides that parse again.
void check_sweep(const Override& parsed, const std::string& input) {
  if (!parsed.is_sweep() || parsed.sweep.size() > 1000) return;
  std::vector<Job> jobs;
  try {
    jobs = expand_jobs({input}, Node(), true);
  } catch (const UserError&) {
    return;  // e.g. a swept group with a bad prefix: a located error is fine
  }
  if (jobs.size() != parsed.sweep.size()) fail("sweep job count", input, std::to_string(jobs.size()));
  for (const auto& job : jobs) {
    for (const auto& text : job.overrides) {
      try {
        if (parse_override(text).is_sweep()) fail("a sweep job's override is a sweep again", input, text);
      } catch (const UserError& e) {
        fail("a sweep job's override does not parse", input, text + " -> " + e.what());
      }
    }
    if (safe_dir_name(job.name).find('/') != std::string::npos) fail("safe_dir_name kept a '/'", input, job.name);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  try {
    const Override parsed = parse_override(input);
    check_override(parsed, input);
    check_sweep(parsed, input);
  } catch (const UserError&) {
  }
  try {
    check_round_trip(parse_override_value(input, "fuzz"), input);
  } catch (const UserError&) {
  }
  return 0;
}
