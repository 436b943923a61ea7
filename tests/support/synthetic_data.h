#pragma once
/// A synthetic token stream with structure to learn (a noisy repeating pattern over 50 ids), for
/// the training tests.

#include "data/token_data.h"

namespace attnlab::testing {

inline data::TokenData synthetic_data(int train_tokens = 4000, int val_tokens = 600) {
  data::TokenData data;
  std::vector<int32_t> train, val;
  for (int i = 0; i < train_tokens; ++i) train.push_back((i * 7 + (i / 13) % 3) % 50);
  for (int i = 0; i < val_tokens; ++i) val.push_back((i * 7 + (i / 13) % 3) % 50);
  data.train = std::move(train);
  data.val = std::move(val);
  data.train_chars = static_cast<int64_t>(data.train.size());
  data.val_chars = static_cast<int64_t>(data.val.size());
  return data;
}

}  // namespace attnlab::testing
