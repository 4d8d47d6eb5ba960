// Firing rates: the mean of a spike tensor, accumulated per layer over batches.
//
// For a layer's output s [T, N, ...] (binary spikes, or analog values for LIAF-type outputs),
//   rate = sum of all elements / number of elements
// i.e. spikes per neuron per time step. FiringRateMeter accumulates the sum and the element
// count per layer across batches, so the rate it reports is the element-weighted mean over
// everything added (not a mean of per-batch means). Sums are taken in double over fixed blocks
// of elements added in a fixed order, so the result does not depend on the thread count.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "soma/tensor/tensor.hpp"

namespace soma {

// Sum of all elements in double, thread-count invariant.
double tensor_sum(const Tensor& x);
// Mean of all elements (0 for an empty tensor).
double firing_rate(const Tensor& spikes);

class FiringRateMeter {
 public:
  struct Entry {
    std::string layer;
    double sum = 0.0;   // spikes (or activation mass) added
    int64_t count = 0;  // elements added (neurons x time steps x samples)
    double rate() const { return count > 0 ? sum / static_cast<double>(count) : 0.0; }
  };

  void add(std::string_view layer, const Tensor& spikes);
  // Throws Error for a layer never added.
  double rate(std::string_view layer) const;
  // All spikes over all elements of all layers.
  double overall_rate() const;
  const std::vector<Entry>& entries() const { return entries_; }  // in first-added order
  void reset() { entries_.clear(); }

 private:
  std::vector<Entry> entries_;
};

}  // namespace soma
