#include "soma/ops/gemm.hpp"

// GCC 12 reports false -Wmaybe-uninitialized positives inside Eigen's AVX-512 kernels.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <omp.h>

#include <algorithm>

#include "soma/core/error.hpp"
#include "soma/tensor/eigen_view.hpp"

#if SOMA_HAVE_DNNL
#include <oneapi/dnnl/dnnl.h>

#include "serial_omp_scope.hpp"
#endif

namespace soma {

namespace {

using Stride = Eigen::OuterStride<>;
using ConstStridedMap = Eigen::Map<const RowMatrix, Eigen::Unaligned, Stride>;
using StridedMap = Eigen::Map<RowMatrix, Eigen::Unaligned, Stride>;

template <typename A, typename B>
void product_into(StridedMap& c, const A& a, const B& b, float alpha, float beta) {
  if (beta == 0.f) {
    if (alpha == 1.f)
      c.noalias() = a * b;
    else
      c.noalias() = alpha * (a * b);
  } else {
    if (beta != 1.f) c *= beta;
    if (alpha == 1.f)
      c.noalias() += a * b;
    else
      c.noalias() += alpha * (a * b);
  }
}

// C[i0:i1, j0:j1] = alpha * op(A)[i0:i1, :] * op(B)[:, j0:j1] + beta * C[i0:i1, j0:j1],
// single-threaded, with the configured backend.
void gemm_block(bool ta, bool tb, int64_t i0, int64_t i1, int64_t j0, int64_t j1, int64_t k,
                float alpha, const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                float* c, int64_t ldc) {
  const int64_t mb = i1 - i0, nb = j1 - j0;
  const float* ab = ta ? a + i0 : a + i0 * lda;  // rows i0..i1 of op(A)
  const float* bb = tb ? b + j0 * ldb : b + j0;  // columns j0..j1 of op(B)
#if SOMA_HAVE_DNNL
  if (k > 0) {
    SerialOmpScope serial;
    const dnnl_status_t st = dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', mb, nb, k, alpha, ab, lda,
                                        bb, ldb, beta, c + i0 * ldc + j0, ldc);
    SOMA_ASSERT(st == dnnl_success, "dnnl_sgemm failed with status ", int(st));
    return;
  }
#endif
  gemm_eigen(ta, tb, mb, nb, k, alpha, ab, lda, bb, ldb, beta, c + i0 * ldc + j0, ldc);
}

// The partition: at most kMaxBlocks blocks, each at least kMinBlock rows (columns) wide and
// kBlockMacs multiply-adds big. Every block is one backend call that packs its panels anew, so
// blocks must be big: 16 blocks of 64x64x576 (the old rule) ran a conv layer's product at 57
// GFLOP/s where one call runs it at 120-160.
constexpr double kBlockMacs = double(1 << 24);
constexpr int64_t kMaxBlocks = 8;
constexpr int64_t kMinBlock = 64;

}  // namespace

const char* gemm_backend() {
#if SOMA_HAVE_DNNL
  return "onednn";
#else
  return "eigen";
#endif
}

void gemm_eigen(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  StridedMap cm(c, m, n, Stride(ldc));
  if (k == 0) {
    if (beta == 0.f)
      cm.setZero();
    else
      cm *= beta;
    return;
  }
  const ConstStridedMap an(a, ta ? 0 : m, ta ? 0 : k, Stride(lda));
  const ConstStridedMap at(a, ta ? k : 0, ta ? m : 0, Stride(lda));
  const ConstStridedMap bn(b, tb ? 0 : k, tb ? 0 : n, Stride(ldb));
  const ConstStridedMap bt(b, tb ? n : 0, tb ? k : 0, Stride(ldb));
  if (!ta && !tb) product_into(cm, an, bn, alpha, beta);
  if (!ta && tb) product_into(cm, an, bt.transpose(), alpha, beta);
  if (ta && !tb) product_into(cm, at.transpose(), bn, alpha, beta);
  if (ta && tb) product_into(cm, at.transpose(), bt.transpose(), alpha, beta);
}

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
          int64_t ldc) {
  SOMA_ASSERT(m >= 0 && n >= 0 && k >= 0, "gemm dims m=", m, " n=", n, " k=", k);
  if (m == 0 || n == 0) return;
  SOMA_ASSERT(ldc >= n, "gemm ldc=", ldc, " < n=", n);
  SOMA_ASSERT(lda >= (trans_a ? m : k) && ldb >= (trans_b ? k : n), "gemm leading dims");

  // The block partition is a function of (m, n, k) only: results do not depend on threads.
  const double flops = double(m) * double(n) * double(k);
  const bool split_rows = m >= n;
  const int64_t dim = split_rows ? m : n;
  int64_t blocks = 1;
  blocks = std::clamp<int64_t>(std::min<int64_t>(dim / kMinBlock, int64_t(flops / kBlockMacs)), 1,
                               kMaxBlocks);
  if (blocks == 1) {
    gemm_block(trans_a, trans_b, 0, m, 0, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  // Block edges rounded to multiples of 8 so SIMD-friendly widths stay together.
  const int64_t step = ((dim + blocks - 1) / blocks + 7) / 8 * 8;
  blocks = (dim + step - 1) / step;
#pragma omp parallel for schedule(static) if (!omp_in_parallel())
  for (int64_t blk = 0; blk < blocks; ++blk) {
    const int64_t lo = blk * step, hi = std::min(dim, lo + step);
    if (split_rows)
      gemm_block(trans_a, trans_b, lo, hi, 0, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    else
      gemm_block(trans_a, trans_b, 0, m, lo, hi, k, alpha, a, lda, b, ldb, beta, c, ldc);
  }
}

}  // namespace soma
