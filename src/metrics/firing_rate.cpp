#include "soma/metrics/firing_rate.hpp"

#include <algorithm>
#include <vector>

#include "soma/core/error.hpp"

namespace soma {

double tensor_sum(const Tensor& x) {
  // Fixed 8192-element blocks, each summed sequentially, then the block sums in order: the same
  // additions in the same order for any thread count.
  constexpr int64_t kBlock = 8192;
  const int64_t n = x.numel();
  const int64_t nb = (n + kBlock - 1) / kBlock;
  if (nb <= 1) {
    double s = 0.0;
    for (int64_t i = 0; i < n; ++i) s += x[i];
    return s;
  }
  std::vector<double> partial(static_cast<size_t>(nb));
  const float* p = x.data();
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < nb; ++b) {
    const int64_t lo = b * kBlock, hi = std::min(n, lo + kBlock);
    double s = 0.0;
    for (int64_t i = lo; i < hi; ++i) s += p[i];
    partial[static_cast<size_t>(b)] = s;
  }
  double s = 0.0;
  for (double v : partial) s += v;
  return s;
}

double firing_rate(const Tensor& spikes) {
  const int64_t n = spikes.numel();
  return n > 0 ? tensor_sum(spikes) / static_cast<double>(n) : 0.0;
}

void FiringRateMeter::add(std::string_view layer, const Tensor& spikes) {
  Entry* e = nullptr;
  for (auto& x : entries_)
    if (x.layer == layer) e = &x;
  if (!e) {
    entries_.push_back(Entry{std::string(layer)});
    e = &entries_.back();
  }
  e->sum += tensor_sum(spikes);
  e->count += spikes.numel();
}

double FiringRateMeter::rate(std::string_view layer) const {
  for (const auto& x : entries_)
    if (x.layer == layer) return x.rate();
  throw Error(str_cat("firing rate: no spikes were recorded for layer '", layer, "'"));
}

double FiringRateMeter::overall_rate() const {
  double s = 0.0;
  int64_t c = 0;
  for (const auto& x : entries_) {
    s += x.sum;
    c += x.count;
  }
  return c > 0 ? s / static_cast<double>(c) : 0.0;
}

}  // namespace soma
