#include "data/task_rng.h"

#include <numeric>
#include <stdexcept>

#include "data/batcher.h"

namespace attnlab::data {

namespace {
uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

TaskRng::TaskRng(uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
  uint64_t x = splitmix64(splitmix64(splitmix64(splitmix64(a) ^ b) ^ c) ^ d);
  for (auto& s : s_) s = x = splitmix64(x);
}

uint64_t TaskRng::next() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

int64_t TaskRng::below(int64_t n) {
  if (n < 1) throw std::invalid_argument("TaskRng::below: n must be positive");
  const auto range = static_cast<uint64_t>(n);
  unsigned __int128 m = static_cast<unsigned __int128>(next()) * range;
  auto low = static_cast<uint64_t>(m);
  if (low < range) {
    const uint64_t threshold = -range % range;
    while (low < threshold) {
      m = static_cast<unsigned __int128>(next()) * range;
      low = static_cast<uint64_t>(m);
    }
  }
  return static_cast<int64_t>(m >> 64);
}

double TaskRng::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

std::vector<int64_t> TaskRng::distinct(int64_t lo, int64_t hi, int64_t k) {
  if (k < 0 || k > hi - lo) throw std::invalid_argument("TaskRng::distinct: k out of range");
  std::vector<int64_t> pool(static_cast<size_t>(hi - lo));
  std::iota(pool.begin(), pool.end(), lo);
  for (int64_t i = 0; i < k; ++i) std::swap(pool[i], pool[i + below(hi - lo - i)]);
  pool.resize(static_cast<size_t>(k));
  return pool;
}

std::vector<int64_t> TaskRng::weighted_distinct(const std::vector<double>& weights, int64_t k) {
  if (k < 0 || k > static_cast<int64_t>(weights.size())) throw std::invalid_argument("TaskRng::weighted_distinct: k out of range");
  std::vector<double> w = weights;
  std::vector<int64_t> out;
  for (int64_t drawn = 0; drawn < k; ++drawn) {
    double total = 0;
    for (double x : w) total += x;
    double r = uniform() * total;
    int64_t pick = -1;
    for (size_t i = 0; i < w.size(); ++i) {
      if (w[i] <= 0) continue;
      pick = static_cast<int64_t>(i);  // the last positive weight absorbs rounding
      if (r < w[i]) break;
      r -= w[i];
    }
    out.push_back(pick);
    w[static_cast<size_t>(pick)] = 0;
  }
  return out;
}

}  // namespace attnlab::data
