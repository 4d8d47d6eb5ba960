// gemm: the single entry point for every matrix product in soma (row-major, BLAS-like).
//
//   C = alpha * op(A) * op(B) + beta * C,   op(A) is [m, k], op(B) is [k, n], C is [m, n]
//   op(A) = A       (A stored [m, k], row stride lda >= k)   when !trans_a
//         = A^T     (A stored [k, m], row stride lda >= m)   when  trans_a
//   op(B) = B       (B stored [k, n], row stride ldb >= n)   when !trans_b
//         = B^T     (B stored [n, k], row stride ldb >= k)   when  trans_b
//   C stored [m, n] with row stride ldc >= n. beta == 0 overwrites C (NaNs in C are ignored).
//
// Backend (CMake option SOMA_BLAS, see BENCHMARKS.md "Kernels"): oneDNN's sgemm (libdnnl-dev,
// JIT AVX-512 kernels, 1.3-1.6x Eigen at soma's shapes) when available, else Eigen maps with
// .noalias() (Eigen is built with EIGEN_DONT_PARALLELIZE). Every backend call is single-threaded.
// Parallelism is ours: a big product is cut into blocks of rows of C (or columns, whichever
// dimension is larger); the cut depends only on (m, n, k), never on the thread count, and
// blocks do not overlap, so 1 and N threads give bit-identical results. Called from inside an
// OpenMP parallel region (e.g. conv2d's loop over images), gemm runs serially.
#pragma once

#include <cstdint>

namespace soma {

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
          int64_t ldc);

// The same product, serial, always with Eigen: the portable reference the backends are tested
// against.
void gemm_eigen(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                int64_t ldc);

// "onednn" or "eigen": what gemm() runs on (for benchmark reports).
const char* gemm_backend();

}  // namespace soma
