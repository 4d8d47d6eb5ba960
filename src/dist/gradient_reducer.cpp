#include "soma/dist/gradient_reducer.hpp"

#include "soma/core/error.hpp"

namespace soma {

GradientReducer::GradientReducer(Communicator& comm, float* grads, int64_t n, int64_t bucket_elems)
    : comm_(comm), grads_(grads), n_(n), bucket_(bucket_elems < 1 ? 1 : bucket_elems) {
  SOMA_ASSERT(n >= 0 && (grads || n == 0), "gradient buffer of ", n, " values");
  begin();
}

void GradientReducer::begin() {
  launched_from_ = n_;
  buckets_ = 0;
}

void GradientReducer::launch(int64_t from) {
  if (from >= launched_from_) return;
  comm_.start_allreduce_sum(grads_ + from, launched_from_ - from);
  launched_from_ = from;
  ++buckets_;
}

void GradientReducer::ready(int64_t offset) {
  SOMA_ASSERT(offset >= 0 && offset <= n_, "ready offset ", offset, " outside [0, ", n_, "]");
  if (launched_from_ - offset >= bucket_) launch(offset);
  comm_.progress();
}

void GradientReducer::finish() {
  launch(0);
  comm_.wait_all();
  if (comm_.size() > 1) {
    const float inv = 1.f / static_cast<float>(comm_.size());
#pragma omp parallel for simd schedule(static) if (n_ > (1 << 16))
    for (int64_t i = 0; i < n_; ++i) grads_[i] *= inv;
  }
}

}  // namespace soma
