// Training on a random, ordered subset of the time steps of each sample (SEW ResNet's DVS
// Gesture recipe: T = 16 frames, each training sample sees 12 of them, METHODS.md 14.2).
//
//   base sample [T, ...]  ->  [k, ...] = frames s_1 < s_2 < ... < s_k of it,
//   {s_1..s_k} a uniformly random k-subset of {0..T-1} drawn from the sample's own Rng stream
//
// The order of the kept frames is preserved, so the network still sees the recording's time
// course, only with gaps; evaluation uses all T frames (a spiking network runs any T). YAML:
// `data.train_time_steps: k` (default 0 = all T; 1 <= k <= time_steps), training split only.
#pragma once

#include <memory>
#include <string>

#include "soma/data/dataset.hpp"

namespace soma {

class TimeSubsetDataset : public Dataset {
 public:
  TimeSubsetDataset(std::shared_ptr<const Dataset> base, int64_t steps);

  int64_t size() const override { return base_->size(); }
  Shape sample_shape() const override;
  int num_classes() const override { return base_->num_classes(); }
  int label(int64_t i) const override { return base_->label(i); }
  void get(int64_t i, float* out, Rng& rng) const override;
  std::string describe() const override;

 private:
  std::shared_ptr<const Dataset> base_;
  int64_t steps_;  // k
};

}  // namespace soma
