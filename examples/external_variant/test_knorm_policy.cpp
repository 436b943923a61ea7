// Numerical checks of the knorm policy, against the installed attnlab (no test framework needed):
// per head, it keeps exactly the budget tokens with the smallest key norm (a naive sort decides),
// the recent window always survives, and decoding under it holds the budget. Exit 0 when all pass.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <numeric>
#include <vector>

#include "config/node.h"
#include "core/error.h"
#include "infer/layer_cache.h"
#include "knorm_policy.h"
#include "registry.h"

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  std::cout << (ok ? "ok   " : "FAIL ") << what << '\n';
  failures += ok ? 0 : 1;
}

std::shared_ptr<attnlab::EvictionPolicy> make(int64_t recent) {
  attnlab::cfg::Node options = attnlab::cfg::Node::map();
  options["recent"] = attnlab::cfg::Node::scalar(std::to_string(recent));
  attnlab::cfg::MapReader reader(options, "cache");
  return attnlab::policy_registry().get("knorm")(reader);
}

/// Positions a naive rule keeps for (b, h): the `recent` newest, then the smallest norms, in order.
std::vector<int64_t> naive_keep(const torch::Tensor& keys, int64_t b, int64_t h, int64_t budget, int64_t recent) {
  const int64_t S = keys.size(2);
  std::vector<std::pair<double, int64_t>> order;  // (norm, position)
  std::vector<int64_t> kept;
  for (int64_t s = 0; s < S; ++s) {
    if (s >= S - recent) {
      kept.push_back(s);
      continue;
    }
    double sum = 0;
    for (int64_t d = 0; d < keys.size(3); ++d) sum += std::pow(keys[b][h][s][d].item<double>(), 2);
    order.emplace_back(std::sqrt(sum), s);
  }
  std::sort(order.begin(), order.end());
  const int64_t free = budget - static_cast<int64_t>(kept.size());
  for (int64_t i = 0; i < free; ++i) kept.push_back(order[i].second);
  std::sort(kept.begin(), kept.end());
  return kept;
}

}  // namespace

int main() {
  attnlab::register_builtin_variants();
  example::register_knorm_policy();
  torch::manual_seed(0);
  const int64_t B = 2, H = 3, S = 20, Dh = 4, budget = 8;
  for (int64_t recent : {0, 3}) {
    auto policy = make(recent);
    attnlab::LayerCache cache(S);
    policy->prepare(cache);
    auto keys = torch::randn({B, H, S, Dh});
    cache.append(keys, keys * 2.0, 0);
    policy->compress(cache, budget);
    bool positions = cache.size() == budget, contents = true;
    for (int64_t b = 0; b < B; ++b)
      for (int64_t h = 0; h < H; ++h) {
        auto row = cache.positions()[b][h].contiguous();
        std::vector<int64_t> held(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + row.numel());
        const std::vector<int64_t> expected = naive_keep(keys, b, h, budget, recent);
        if (held != expected) {
          std::cout << "  (b " << b << ", h " << h << ") held";
          for (int64_t p : held) std::cout << ' ' << p;
          std::cout << "; the naive rule keeps";
          for (int64_t p : expected) std::cout << ' ' << p;
          std::cout << " (norms" << keys[b][h].norm(2, -1) << ")\n";
          positions = false;
        }
        // the keys and values that stay are the ones of those positions
        auto index = row.view({-1, 1}).expand({-1, Dh});
        contents = contents && torch::equal(cache.keys()[b][h], keys[b][h].gather(0, index));
        contents = contents && torch::equal(cache.values()[b][h], keys[b][h].gather(0, index) * 2.0);
      }
    const std::string label = "recent " + std::to_string(recent) + ": ";
    check(positions, label + "each head keeps exactly the naive rule's positions, in order");
    check(contents, label + "the keys and values held are those positions'");
  }
  check(!make(0)->needs_weights(), "knorm needs no attention weights");
  try {
    make(-1);
    check(false, "recent -1 is refused");
  } catch (const attnlab::UserError& e) {
    check(std::string(e.what()).find("cache.recent: must be >= 0") != std::string::npos, "recent -1 is refused: " + std::string(e.what()));
  }
  std::cout << failures << " failed\n";
  return failures ? 1 : 0;
}
