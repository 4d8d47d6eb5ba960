#include "soma/ops/sparse_linear.hpp"

#include <algorithm>

#include "soma/core/error.hpp"

namespace soma {

namespace {

constexpr int64_t kRowBlock = 64;  // rows per parallel item when building the CSR

// Output columns per block: 64 (four zmm registers hold a row's accumulators; W^T [I, 64] is
// 256 B per input, L2-resident up to I ~ 3000). Measured: 16-wide blocks are dominated by
// per-entry overhead, 128-wide ones fall out of L2 (BENCHMARKS.md "Kernels").
constexpr int64_t kColBlock = 64;
int64_t column_block(int64_t /*in*/, int64_t out) { return std::min(kColBlock, out); }

// 16 floats as one value (GCC/Clang vector extension: one zmm with AVX-512, split into smaller
// registers elsewhere); four of them hold a 64-column row block in registers.
typedef float V16 __attribute__((vector_size(64)));
inline V16 load16(const float* p) {
  V16 v;
  __builtin_memcpy(&v, p, sizeof(v));
  return v;
}
inline void store16(float* p, V16 v) { __builtin_memcpy(p, &v, sizeof(v)); }

// yr[0..64) = init + sum_e value[e] * t[index[e] * 64 ...], in entry order per column.
inline void gather_row64(const SparseRows& x, int64_t r, const float* t, const float* init,
                         float* yr) {
  V16 a0 = {}, a1 = {}, a2 = {}, a3 = {};
  if (init) {
    a0 = load16(init);
    a1 = load16(init + 16);
    a2 = load16(init + 32);
    a3 = load16(init + 48);
  }
  const int32_t* idx = x.index.data();
  const float* val = x.value.data();
  for (int64_t e = x.start[r]; e < x.start[r + 1]; ++e) {
    const float* w = t + int64_t(idx[e]) * kColBlock;
    const float v = val[e];
    a0 += v * load16(w);
    a1 += v * load16(w + 16);
    a2 += v * load16(w + 32);
    a3 += v * load16(w + 48);
  }
  store16(yr, a0);
  store16(yr + 16, a1);
  store16(yr + 32, a2);
  store16(yr + 48, a3);
}

// t[index[e] * 64 ...] += value[e] * g[0..64) for the entries of row r.
inline void scatter_row64(const SparseRows& x, int64_t r, const float* g, float* t) {
  const V16 g0 = load16(g), g1 = load16(g + 16), g2 = load16(g + 32), g3 = load16(g + 48);
  const int32_t* idx = x.index.data();
  const float* val = x.value.data();
  for (int64_t e = x.start[r]; e < x.start[r + 1]; ++e) {
    float* w = t + int64_t(idx[e]) * kColBlock;
    const float v = val[e];
    store16(w, load16(w) + v * g0);
    store16(w + 16, load16(w + 16) + v * g1);
    store16(w + 32, load16(w + 32) + v * g2);
    store16(w + 48, load16(w + 48) + v * g3);
  }
}

}  // namespace

double nonzero_density(const float* x, int64_t n) {
  if (n <= 0) return 0.0;
  int64_t nnz = 0;
#pragma omp parallel for schedule(static) reduction(+ : nnz) if (n > (1 << 16))
  for (int64_t i = 0; i < n; ++i) nnz += x[i] != 0.f ? 1 : 0;
  return double(nnz) / double(n);
}

SparseRows sparse_rows(const float* x, int64_t m, int64_t in, double max_density) {
  SparseRows s;
  s.rows = m;
  s.cols = in;
  s.start = ScratchArray<int64_t>(m + 1);
  const int64_t blocks = (m + kRowBlock - 1) / kRowBlock;
  // Pass 1: nonzeros per row.
#pragma omp parallel for schedule(static) if (m * in > (1 << 16))
  for (int64_t r = 0; r < m; ++r) {
    int64_t c = 0;
    const float* xr = x + r * in;
    for (int64_t i = 0; i < in; ++i) c += xr[i] != 0.f ? 1 : 0;
    s.start[r + 1] = c;
  }
  s.start[0] = 0;
  for (int64_t r = 0; r < m; ++r) s.start[r + 1] += s.start[r];
  s.nnz = s.start[m];
  if (s.density() > max_density) return s;
  s.filled = true;
  s.value = ScratchArray<float>(s.nnz);
  s.index = ScratchArray<int32_t>(s.nnz);
  // Pass 2: fill (rows are independent).
#pragma omp parallel for schedule(static) if (m * in > (1 << 16))
  for (int64_t blk = 0; blk < blocks; ++blk)
    for (int64_t r = blk * kRowBlock; r < std::min(m, (blk + 1) * kRowBlock); ++r) {
      const float* xr = x + r * in;
      // Branch-free compaction (spikes are random: a data-dependent branch mispredicts often):
      // every element is written at the next free slot, which only advances past nonzeros.
      // Once the row's slots are full the rest of the row is zeros and the loop stops, so no
      // write lands in the next row (filled by another thread).
      const int64_t end = s.start[r + 1];
      int64_t e = s.start[r];
      float* val = s.value.data();
      int32_t* idx = s.index.data();
      for (int64_t i = 0; i < in && e < end; ++i) {
        val[e] = xr[i];
        idx[e] = static_cast<int32_t>(i);
        e += xr[i] != 0.f ? 1 : 0;
      }
    }
  return s;
}

void linear_forward_sparse(const SparseRows& x, const float* w, const float* b, int64_t out,
                           float* y) {
  const int64_t m = x.rows, in = x.cols;
  SOMA_ASSERT(in < (int64_t(1) << 31), "sparse linear: too many inputs");
  const int64_t ob = column_block(in, out);
  const int64_t blocks = (out + ob - 1) / ob;
#pragma omp parallel
  {
    ScratchBuffer wt(in * ob);  // W^T [I, ob] of one column block
#pragma omp for schedule(static)
    for (int64_t blk = 0; blk < blocks; ++blk) {
      const int64_t o0 = blk * ob, nb = std::min(ob, out - o0);
      float* t = wt.data();
      for (int64_t o = 0; o < nb; ++o)
        for (int64_t i = 0; i < in; ++i) t[i * nb + o] = w[(o0 + o) * in + i];
      for (int64_t r = 0; r < m; ++r) {
        float* yr = y + r * out + o0;
        if (nb == kColBlock) {
          gather_row64(x, r, t, b ? b + o0 : nullptr, yr);
          continue;
        }
        if (b)
          for (int64_t o = 0; o < nb; ++o) yr[o] = b[o0 + o];
        else
          std::fill(yr, yr + nb, 0.f);
        for (int64_t e = x.start[r]; e < x.start[r + 1]; ++e) {
          const float v = x.value[e];
          const float* __restrict wr = t + int64_t(x.index[e]) * nb;
          for (int64_t o = 0; o < nb; ++o) yr[o] += v * wr[o];
        }
      }
    }
  }
}

void linear_backward_weight_sparse(const SparseRows& x, const float* grad_y, int64_t out,
                                   float* grad_w) {
  const int64_t m = x.rows, in = x.cols;
  const int64_t ob = column_block(in, out);
  const int64_t blocks = (out + ob - 1) / ob;
#pragma omp parallel
  {
    ScratchBuffer gt(in * ob);  // grad_W^T [I, ob] of one column block
#pragma omp for schedule(static)
    for (int64_t blk = 0; blk < blocks; ++blk) {
      const int64_t o0 = blk * ob, nb = std::min(ob, out - o0);
      float* t = gt.data();
      std::fill(t, t + in * nb, 0.f);
      for (int64_t r = 0; r < m; ++r) {
        const float* __restrict gr = grad_y + r * out + o0;
        if (nb == kColBlock) {
          scatter_row64(x, r, gr, t);
          continue;
        }
        for (int64_t e = x.start[r]; e < x.start[r + 1]; ++e) {
          const float v = x.value[e];
          float* __restrict tr = t + int64_t(x.index[e]) * nb;
          for (int64_t o = 0; o < nb; ++o) tr[o] += v * gr[o];
        }
      }
      for (int64_t o = 0; o < nb; ++o) {
        float* gw = grad_w + (o0 + o) * in;
        for (int64_t i = 0; i < in; ++i) gw[i] += t[i * nb + o];
      }
    }
  }
}

}  // namespace soma
