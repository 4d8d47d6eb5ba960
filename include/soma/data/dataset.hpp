// Dataset: an indexable, labelled collection of fixed-shape samples, each a whole time window.
//
// A sample is [T, ...per-step] floats (e.g. [T, 2, 34, 34] event frames, [T, 1, 28, 28] encoded
// images); the Loader stacks samples into time-major batches [T, N, ...]. get() receives the
// sample's own Rng stream (derived from seed, epoch and index by the Loader), so random encoding
// and augmentation do not depend on which thread loads the sample or in which order.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "soma/core/rng.hpp"
#include "soma/tensor/shape.hpp"

namespace soma {

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  virtual Shape sample_shape() const = 0;  // [T, ...per-step]
  virtual int num_classes() const = 0;
  virtual int label(int64_t i) const = 0;
  // Writes sample i (sample_shape().numel() floats) to `out`; thread-safe for distinct calls.
  virtual void get(int64_t i, float* out, Rng& rng) const = 0;
  virtual std::string describe() const { return "dataset"; }
};

// A fixed subset of another dataset (train/validation splits, class-balanced subsets).
class SubsetDataset : public Dataset {
 public:
  SubsetDataset(std::shared_ptr<const Dataset> base, std::vector<int64_t> indices);
  int64_t size() const override { return static_cast<int64_t>(indices_.size()); }
  Shape sample_shape() const override { return base_->sample_shape(); }
  int num_classes() const override { return base_->num_classes(); }
  int label(int64_t i) const override { return base_->label(indices_[i]); }
  void get(int64_t i, float* out, Rng& rng) const override { base_->get(indices_[i], out, rng); }
  std::string describe() const override;
  const std::vector<int64_t>& indices() const { return indices_; }

 private:
  std::shared_ptr<const Dataset> base_;
  std::vector<int64_t> indices_;
};

}  // namespace soma
