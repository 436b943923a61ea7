#include "infer/layer_cache.h"

#include <bitset>
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
    if (scores_reserved_) scores_ = torch::zeros({B, H, capacity_}, keys.options().dtype(torch::kFloat32));
    if (history_width_ > 0) {
      history_ = torch::zeros({B, H, capacity_, (history_width_ + 7) / 8}, keys.options().dtype(torch::kUInt8));
    }
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
  if (scores_.defined()) scores_.narrow(2, size_, T).zero_();
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
  if (scores_.defined()) gather_rows(scores_);
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

void LayerCache::reserve_token_scores() {
  if (allocated()) throw std::logic_error("LayerCache::reserve_token_scores after the first append");
  scores_reserved_ = true;
}

void LayerCache::reserve_token_history(int64_t width) {
  if (allocated()) throw std::logic_error("LayerCache::reserve_token_history after the first append");
  if (width <= 0) throw std::logic_error("LayerCache::reserve_token_history: width must be positive");
  history_width_ = width;
}

void LayerCache::set_history_column(int64_t column, const torch::Tensor& flags) {
  if (column < 0 || column >= history_width_) throw std::logic_error("LayerCache::set_history_column: no such column");
  auto bytes = filled(history_, size_).select(3, column / 8);  // [B, H, S] uint8
  const auto bit = static_cast<uint8_t>(1u << (column % 8));
  if (bytes.is_cpu() && flags.is_cpu() && flags.scalar_type() == torch::kBool) {
    // one pass, no temporaries: this runs once per layer and decoding step
    auto out = bytes.accessor<uint8_t, 3>();
    auto in = flags.accessor<bool, 3>();
    for (int64_t b = 0; b < out.size(0); ++b)
      for (int64_t h = 0; h < out.size(1); ++h)
        for (int64_t s = 0; s < out.size(2); ++s) {
          const uint8_t cleared = out[b][h][s] & static_cast<uint8_t>(~bit);
          out[b][h][s] = in[b][h][s] ? static_cast<uint8_t>(cleared | bit) : cleared;
        }
    return;
  }
  bytes.bitwise_and_(static_cast<int64_t>(static_cast<uint8_t>(~bit)));
  bytes.bitwise_or_(flags.to(torch::kUInt8).mul_(static_cast<int64_t>(bit)));
}

namespace {
constexpr int64_t kBitsPerByte = 8;
torch::Tensor bit_weights(const torch::Device& device) {  // [8] uint8: 1, 2, 4, ..., 128
  return torch::tensor({1, 2, 4, 8, 16, 32, 64, 128}, torch::TensorOptions().dtype(torch::kUInt8).device(device));
}
}  // namespace

torch::Tensor LayerCache::token_history() const {
  if (!history_.defined()) return history_;
  auto packed = filled(history_, size_).unsqueeze(-1);                       // [B, H, S, nbytes, 1]
  auto bits = packed.bitwise_and(bit_weights(packed.device())).ne(0);        // [B, H, S, nbytes, 8]
  return bits.flatten(3).narrow(3, 0, history_width_).contiguous();          // [B, H, S, width]
}

void LayerCache::set_history_columns(const torch::Tensor& columns, const torch::Tensor& flags) {
  // rare (a prefill): unpack, write the columns, pack again
  auto unpacked = token_history();  // [B, H, S, width]
  unpacked.index_copy_(3, columns, flags);
  const int64_t nbytes = history_.size(3);
  auto padded = torch::zeros({unpacked.size(0), unpacked.size(1), unpacked.size(2), nbytes * kBitsPerByte},
                             unpacked.options().dtype(torch::kUInt8));
  padded.narrow(3, 0, history_width_).copy_(unpacked);
  auto packed = padded.view({padded.size(0), padded.size(1), padded.size(2), nbytes, kBitsPerByte})
                    .mul_(bit_weights(padded.device()))
                    .sum(-1)
                    .to(torch::kUInt8);  // [B, H, S, nbytes]: distinct bits, so the sum is the OR
  filled(history_, size_).copy_(packed);
}

torch::Tensor LayerCache::history_counts() const {
  if (!history_.defined()) return history_;
  static const torch::Tensor popcount = [] {  // [256] int64: set bits of each byte value
    auto t = torch::empty({256}, torch::kInt64);
    auto a = t.accessor<int64_t, 1>();
    for (int v = 0; v < 256; ++v) a[v] = static_cast<int64_t>(std::bitset<8>(static_cast<unsigned>(v)).count());
    return t;
  }();
  auto packed = filled(history_, size_);  // [B, H, S, nbytes]
  auto table = popcount.to(packed.device());
  return table.index_select(0, packed.reshape(-1).to(torch::kInt64)).view(packed.sizes()).sum(-1);  // [B, H, S]
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
                            (positions_.element_size() + (scores_.defined() ? scores_.element_size() : 0) +
                             (history_.defined() ? history_.size(3) * history_.element_size() : 0));
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
