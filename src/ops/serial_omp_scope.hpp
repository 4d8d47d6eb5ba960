// oneDNN threads with OpenMP on its own; soma's results must not depend on the thread count, so
// every oneDNN call runs single-threaded (soma parallelises around it, over fixed work items):
// nthreads-var is a per-task ICV, set to 1 for the scope (and restored) in the calling task only.
// Primitives are also created inside such a scope, so their kernels plan for one thread.
#pragma once

#include <omp.h>

namespace soma {

class SerialOmpScope {
 public:
  SerialOmpScope() : saved_(omp_get_max_threads()) { omp_set_num_threads(1); }
  ~SerialOmpScope() { omp_set_num_threads(saved_); }
  SerialOmpScope(const SerialOmpScope&) = delete;
  SerialOmpScope& operator=(const SerialOmpScope&) = delete;

 private:
  int saved_;
};

}  // namespace soma
