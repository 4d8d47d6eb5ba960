#include "soma/data/datasets/time_subset_dataset.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <vector>

#include "soma/core/error.hpp"
#include "soma/tensor/allocator.hpp"

namespace soma {

TimeSubsetDataset::TimeSubsetDataset(std::shared_ptr<const Dataset> base, int64_t steps)
    : base_(std::move(base)), steps_(steps) {
  SOMA_ASSERT(base_ != nullptr);
  const int64_t T = base_->sample_shape()[0];
  SOMA_CHECK_AS(ConfigError, steps_ >= 1 && steps_ <= T, "train_time_steps must be in 1..",
                T, " (the time_steps of a sample), got ", steps_);
}

Shape TimeSubsetDataset::sample_shape() const {
  Shape s = base_->sample_shape();
  return s.drop_front(1).prepend({steps_});
}

void TimeSubsetDataset::get(int64_t i, float* out, Rng& rng) const {
  const Shape full = base_->sample_shape();
  const int64_t T = full[0];
  const int64_t step = full.numel() / T;
  ScratchBuffer whole(full.numel());
  base_->get(i, whole.data(), rng);
  // Partial Fisher-Yates: the first k entries of a random permutation, then sorted.
  std::vector<int64_t> order(static_cast<size_t>(T));
  std::iota(order.begin(), order.end(), int64_t{0});
  for (int64_t j = 0; j < steps_; ++j)
    std::swap(order[j], order[j + static_cast<int64_t>(rng.below(uint64_t(T - j)))]);
  std::sort(order.begin(), order.begin() + steps_);
  for (int64_t j = 0; j < steps_; ++j)
    std::memcpy(out + j * step, whole.data() + order[j] * step, sizeof(float) * size_t(step));
}

std::string TimeSubsetDataset::describe() const {
  return str_cat(base_->describe(), ", a random ordered ", steps_, " of ",
                 base_->sample_shape()[0], " steps per sample");
}

}  // namespace soma
