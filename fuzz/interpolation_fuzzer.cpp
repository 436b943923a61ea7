// libFuzzer target: `${...}` interpolation (config/interpolation.h) on a tree read from YAML.
// Input: a YAML document (usually a map whose values hold ${a.b}, nested ${a.${b}}, \${x}).
// Expected errors are attnlab::UserError (bad YAML, unresolvable reference, cycle); anything
// else is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "config/interpolation.h"
#include "config/node.h"
#include "config/yaml_loader.h"
#include "core/error.h"

using namespace attnlab;
using namespace attnlab::cfg;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  Node root;
  try {
    root = parse_yaml(input, "fuzz.yaml");
  } catch (const attnlab::UserError&) {
    return 0;
  }
  const Node before = root;
  try {
    resolve_interpolations(root);
  } catch (const attnlab::UserError&) {
    return 0;
  }
  // Without "${" anywhere there is nothing to resolve: the tree must come back unchanged.
  if (input.find("${") == std::string::npos && root != before) {
    std::fprintf(stderr, "FUZZ CHECK FAILED: a tree without ${ changed\ninput:\n%s\nafter:\n%s\n", input.c_str(),
                 root.to_yaml().c_str());
    std::abort();
  }
  return 0;
}
