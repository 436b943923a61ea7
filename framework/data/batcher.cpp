#include "data/batcher.h"

#include <algorithm>

#include "core/error.h"

namespace attnlab::data {

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

namespace {

void check_length(const TokenStream& tokens, int64_t seq_len, const std::string& split) {
  if (seq_len < 1) throw UserError("seq_len must be positive, got " + std::to_string(seq_len));
  if (static_cast<int64_t>(tokens.size()) < seq_len + 1) {
    throw UserError("the " + split + " split has " + std::to_string(tokens.size()) +
                    " tokens, fewer than seq_len + 1 = " + std::to_string(seq_len + 1) +
                    ": use a larger corpus or a shorter context");
  }
}

/// Copies windows starting at `starts` into x, y: [N, T].
std::pair<torch::Tensor, torch::Tensor> gather_windows(const TokenStream& tokens,
                                                       const std::vector<int64_t>& starts, int64_t seq_len) {
  const auto n = static_cast<int64_t>(starts.size());
  auto x = torch::empty({n, seq_len}, torch::kInt64);  // [N, T]
  auto y = torch::empty({n, seq_len}, torch::kInt64);  // [N, T]
  int64_t* px = x.data_ptr<int64_t>();
  int64_t* py = y.data_ptr<int64_t>();
  std::vector<int64_t> window(static_cast<size_t>(seq_len + 1));
  for (int64_t i = 0; i < n; ++i) {
    tokens.read(starts[static_cast<size_t>(i)], seq_len + 1, window.data());
    std::copy(window.begin(), window.end() - 1, px + i * seq_len);
    std::copy(window.begin() + 1, window.end(), py + i * seq_len);
  }
  return {x, y};
}

}  // namespace

std::pair<torch::Tensor, torch::Tensor> sample_batch(const TokenStream& tokens, int64_t batch,
                                                     int64_t seq_len, uint64_t seed, int64_t step,
                                                     const std::string& split) {
  check_length(tokens, seq_len, split);
  if (batch < 1) throw UserError("batch size must be positive, got " + std::to_string(batch));
  const auto n_starts = static_cast<uint64_t>(tokens.size()) - static_cast<uint64_t>(seq_len);
  const uint64_t stream = splitmix64(splitmix64(seed) ^ static_cast<uint64_t>(step));
  std::vector<int64_t> starts(static_cast<size_t>(batch));
  for (int64_t b = 0; b < batch; ++b) {
    const uint64_t r = splitmix64(stream + static_cast<uint64_t>(b));
    starts[static_cast<size_t>(b)] =
        static_cast<int64_t>((static_cast<unsigned __int128>(r) * n_starts) >> 64);  // uniform in [0, n_starts)
  }
  return gather_windows(tokens, starts, seq_len);
}

std::pair<torch::Tensor, torch::Tensor> validation_windows(const TokenStream& tokens, int64_t seq_len,
                                                           int64_t max_windows, const std::string& split) {
  check_length(tokens, seq_len, split);
  if (max_windows < 1) throw UserError("the number of validation windows must be positive, got " +
                                       std::to_string(max_windows));
  const auto n = static_cast<int64_t>(tokens.size());
  const int64_t count = std::min(max_windows, n / (seq_len + 1));
  const int64_t last = n - (seq_len + 1);
  std::vector<int64_t> starts(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) starts[static_cast<size_t>(i)] = count == 1 ? 0 : i * last / (count - 1);
  return gather_windows(tokens, starts, seq_len);
}

}  // namespace attnlab::data
