#include "core/failpoint.h"

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

namespace attnlab {

namespace {

struct FailpointSpec {
  bool active = false;
  std::string name;
  long hit_at = 1;
  int signal = SIGKILL;
  long hits = 0;
};

std::string command_line() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (char& c : text) c = c == '\0' ? ' ' : c;
  return text;
}

FailpointSpec parse_spec() {
  FailpointSpec spec;
  const char* env = std::getenv("ATTNLAB_FAILPOINT");
  if (!env || !*env) return spec;
  std::string text = env;
  if (const auto at = text.find('@'); at != std::string::npos) {
    if (command_line().find(text.substr(at + 1)) == std::string::npos) return spec;
    text.resize(at);
  }
  const auto first = text.find(':');
  spec.name = text.substr(0, first);
  if (first != std::string::npos) {
    const auto second = text.find(':', first + 1);
    spec.hit_at = std::max(1L, std::atol(text.substr(first + 1, second - first - 1).c_str()));
    if (second != std::string::npos) {
      const std::string action = text.substr(second + 1);
      spec.signal = action == "segv" ? SIGSEGV : action == "abort" ? SIGABRT : SIGKILL;
    }
  }
  spec.active = true;
  return spec;
}

}  // namespace

void failpoint(const char* name) {
  static FailpointSpec spec = parse_spec();
  if (!spec.active || spec.name != name || ++spec.hits != spec.hit_at) return;
  std::signal(spec.signal, SIG_DFL);  // a crash must not be caught by any handler
  std::raise(spec.signal);
}

}  // namespace attnlab
