// Long float sums in double, fast and in a fixed order.
//
// A plain `double s; for (...) s += x[k];` is one dependent add chain: 4 cycles per element,
// and the compiler may not reorder it (no -ffast-math). LaneSums keeps kSumLanes independent
// chains (element k of each added run goes to lane k % kSumLanes) and adds the lanes in lane
// order at the end: four AVX-512 vectors of doubles, so the adds vectorize and overlap, and the
// result depends only on the data and on how it is cut into runs, never on the thread count.
#pragma once

#include <cstdint>

namespace soma {

inline constexpr int64_t kSumLanes = 32;

struct LaneSums {
  double v[kSumLanes] = {};

  // Adds p[0..n) (a new run: its element 0 goes to lane 0).
  void add(const float* p, int64_t n) {
    double a[kSumLanes];  // a local copy: the chains stay in registers
    for (int64_t j = 0; j < kSumLanes; ++j) a[j] = v[j];
    int64_t k = 0;
    for (; k + kSumLanes <= n; k += kSumLanes)
      for (int64_t j = 0; j < kSumLanes; ++j) a[j] += double(p[k + j]);
    for (int64_t j = 0; k + j < n; ++j) a[j] += double(p[k + j]);
    for (int64_t j = 0; j < kSumLanes; ++j) v[j] = a[j];
  }

  double total() const {
    double t = 0.0;
    for (int64_t j = 0; j < kSumLanes; ++j) t += v[j];
    return t;
  }
};

}  // namespace soma
