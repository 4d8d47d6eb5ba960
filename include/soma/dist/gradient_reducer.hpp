// GradientReducer: the data-parallel gradient average, overlapped with the backward pass.
//
// All parameter gradients live in one flat buffer g[0, n), laid out in layer order, and the
// backward pass visits layers in reverse. So once a layer's backward has run, the suffix
// g[o, n) from that layer's first parameter onwards is final. ready(o) records that; whenever
// the final but not yet reduced part reaches `bucket_elems` values, it is started as one
// non-blocking all-reduce (small layers are bucketed together, a large layer goes in one
// piece) and the next layers' backward runs while it travels. finish() starts whatever is left,
// waits for every reduction and scales by 1/size(), which turns the sum of the ranks' gradients
// of their local mean losses into the gradient of the global mean loss:
//   g = (1/W) sum_r g_r,   g_r = d/dw (1/b) sum_{i in shard r} l_i,   b = B/W rows per rank.
// Buckets depend only on (n, bucket_elems, the ready() offsets), which are the same on every
// rank, so all ranks issue the same collectives in the same order. Without any ready() call,
// finish() is one all-reduce of the whole buffer.
#pragma once

#include <cstdint>

#include "soma/dist/communicator.hpp"

namespace soma {

class GradientReducer {
 public:
  GradientReducer(Communicator& comm, float* grads, int64_t n, int64_t bucket_elems);

  void begin();                // a new backward pass: nothing is final yet
  void ready(int64_t offset);  // g[offset, n) is final
  void finish();               // reduce the rest, wait, divide by size()
  int64_t buckets_started() const { return buckets_; }  // in this pass, for tests

 private:
  void launch(int64_t from);

  Communicator& comm_;
  float* grads_;
  int64_t n_;
  int64_t bucket_;
  int64_t launched_from_ = 0;  // g[launched_from_, n) is being or has been reduced
  int64_t buckets_ = 0;
};

}  // namespace soma
