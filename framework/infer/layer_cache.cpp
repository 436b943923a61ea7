#include "infer/layer_cache.h"

#include <stdexcept>
#include <string>

namespace attnlab {

LayerCache::LayerCache(int64_t capacity) : capacity_(capacity) {
  if (capacity <= 0) throw std::logic_error("LayerCache capacity must be positive, got " + std::to_string(capacity));
}

void LayerCache::append(const torch::Tensor& keys, const torch::Tensor& values, int64_t pos0) {
  const int64_t B = keys.size(0), H = keys.size(1), T = keys.size(2), Dh = keys.size(3);
  if (!allocated()) {
    keys_ = torch::empty({B, H, capacity_, Dh}, keys.options());
    values_ = torch::empty({B, H, capacity_, values.size(3)}, values.options());
    auto index_options = keys.options().dtype(torch::kInt64);
    positions_ = torch::empty({B, H, capacity_}, index_options);
    scores_ = torch::zeros({B, H, capacity_}, keys.options().dtype(torch::kFloat32));
    scores2_ = torch::zeros({B, H, capacity_}, keys.options().dtype(torch::kFloat32));
    if (history_width_ > 0) history_ = torch::zeros({B, H, capacity_, history_width_}, keys.options().dtype(torch::kBool));
  }
  if (size_ + T > capacity_) {
    throw std::logic_error("LayerCache overflow: " + std::to_string(size_) + " held + " + std::to_string(T) +
                           " new > capacity " + std::to_string(capacity_));
  }
  if (keys_.size(0) != B || keys_.size(1) != H || keys_.size(3) != Dh) {
    throw std::logic_error("LayerCache: appended keys do not match the cache's [B, H, *, Dh]");
  }
  // In place into the preallocated buffers: views of the next T slots, no reallocation.
  keys_.narrow(2, size_, T).copy_(keys);
  values_.narrow(2, size_, T).copy_(values);
  auto new_positions = positions_.narrow(2, size_, T);  // [B, H, T]
  if (T == 1) {
    new_positions.fill_(pos0);
  } else {
    new_positions.copy_(torch::arange(pos0, pos0 + T, positions_.options()).view({1, 1, T}));
  }
  scores_.narrow(2, size_, T).zero_();
  scores2_.narrow(2, size_, T).zero_();
  if (history_.defined()) history_.narrow(2, size_, T).zero_();
  size_ += T;
  next_position_ = pos0 + T;
}

void LayerCache::keep(const torch::Tensor& index) {
  const int64_t kept = index.size(2);
  if (kept > size_) throw std::logic_error("LayerCache::keep: more slots kept than held");
  const int64_t B = index.size(0), H = index.size(1);
  // rows of the [B * H * capacity, D] view of a 4-D buffer: one contiguous row per kept slot
  auto rows = (index + torch::arange(B * H, index.options()).mul_(capacity_).view({B, H, 1})).reshape(-1);
  auto gather_rows = [&](torch::Tensor& buffer) {
    if (buffer.dim() == 4) {
      const int64_t D = buffer.size(3);
      auto picked = buffer.view({B * H * capacity_, D}).index_select(0, rows);  // [B * H * kept, D]
      buffer.narrow(2, 0, kept).copy_(picked.view({B, H, kept, D}));
    } else {
      auto picked = buffer.narrow(2, 0, size_).gather(2, index);  // [B, H, kept]
      buffer.narrow(2, 0, kept).copy_(picked);
    }
  };
  gather_rows(keys_);
  gather_rows(values_);
  gather_rows(positions_);
  gather_rows(scores_);
  gather_rows(scores2_);
  if (history_.defined()) gather_rows(history_);
  size_ = kept;
}

void LayerCache::clear() {
  size_ = 0;
  next_position_ = 0;
  state.clear();
}

namespace {
torch::Tensor filled(const torch::Tensor& buffer, int64_t size) {
  if (!buffer.defined()) return buffer;
  return buffer.narrow(2, 0, size);
}
}  // namespace

torch::Tensor LayerCache::keys() const { return filled(keys_, size_); }
torch::Tensor LayerCache::values() const { return filled(values_, size_); }
torch::Tensor LayerCache::positions() const { return filled(positions_, size_); }
torch::Tensor LayerCache::token_scores() const { return filled(scores_, size_); }
torch::Tensor LayerCache::token_scores2() const { return filled(scores2_, size_); }
torch::Tensor LayerCache::token_history() const { return filled(history_, size_); }

void LayerCache::reserve_token_history(int64_t width) {
  if (allocated()) throw std::logic_error("LayerCache::reserve_token_history after the first append");
  if (width <= 0) throw std::logic_error("LayerCache::reserve_token_history: width must be positive");
  history_width_ = width;
}

int64_t LayerCache::kv_bytes() const {
  if (!allocated()) return 0;
  const int64_t per_token = (keys_.size(0) * keys_.size(1)) * (keys_.size(3) + values_.size(3)) * keys_.element_size();
  return per_token * size_;
}

int64_t LayerCache::allocated_bytes() const {
  if (!allocated()) return 0;
  return (keys_.numel() + values_.numel()) * keys_.element_size();
}

int64_t LayerCache::bookkeeping_bytes() const {
  if (!allocated()) return 0;
  const int64_t per_token = keys_.size(0) * keys_.size(1) *
                            (positions_.element_size() + scores_.element_size() + scores2_.element_size() +
                             (history_.defined() ? history_width_ * history_.element_size() : 0));
  return per_token * size_;
}

int64_t LayerCache::state_bytes() const {
  int64_t bytes = 0;
  for (const auto& t : state) {
    if (t.defined()) bytes += t.numel() * t.element_size();
  }
  return bytes;
}

torch::Tensor cache_future_mask(const torch::Tensor& query_positions, const torch::Tensor& key_positions) {
  auto q = query_positions.view({1, 1, -1, 1});  // [1, 1, T, 1]
  auto k = key_positions.unsqueeze(2);            // [B, H, 1, S]
  return k > q;                                   // [B, H, T, S]
}

}  // namespace attnlab
