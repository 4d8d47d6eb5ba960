// Thread settings for soma's OpenMP kernels.
//
// The thread count is chosen once by the caller (CLI --threads, tests) and passed to
// set_num_threads; kernels use `#pragma omp parallel for` and never depend on the thread count
// for their results: every reduction is split into fixed-size blocks that are summed in a fixed
// order, so 1 and N threads give bit-identical outputs.
#pragma once

namespace soma {

// Sets the OpenMP pool size; n <= 0 means "all cores".
void set_num_threads(int n);
int num_threads();

}  // namespace soma
