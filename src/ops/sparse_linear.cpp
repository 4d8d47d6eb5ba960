#include "soma/ops/sparse_linear.hpp"

#include <algorithm>

#include "soma/core/error.hpp"
#include "soma/ops/transpose.hpp"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace soma {

namespace {

constexpr int64_t kRowBlock = 64;  // rows per parallel item when building the CSR

// Output columns per block: 64 (four 16-float registers hold a row's accumulators). Measured:
// 16-wide blocks are dominated by per-entry overhead, 128-wide ones spill (BENCHMARKS.md
// "Kernels").
constexpr int64_t kColBlock = 64;

// 16 floats as one value (GCC/Clang vector extension: one zmm with AVX-512, split into smaller
// registers elsewhere).
typedef float V16 __attribute__((vector_size(64)));
inline V16 load16(const float* p) {
  V16 v;
  __builtin_memcpy(&v, p, sizeof(v));
  return v;
}
inline void store16(float* p, V16 v) { __builtin_memcpy(p, &v, sizeof(v)); }

// c[r, 0..16 NV) (+)= sum over a's entries (r, k), chunk by chunk, ascending k, of
// a[r, k] * b[k, 0..16 NV); the first chunk starts from init (or zeros), later chunks from c.
// Binary: every value is 1, the term is b's row itself (the multiplication by 1 is exact, so
// both instantiations give the same floats).
// The first n floats of p as a vector (the other lanes zero), and the reverse.
inline V16 load_part(const float* p, int64_t n) {
  V16 v = {};
  __builtin_memcpy(&v, p, size_t(n) * sizeof(float));
  return v;
}
inline void store_part(float* p, V16 v, int64_t n) {
  __builtin_memcpy(p, &v, size_t(n) * sizeof(float));
}

// c[r, 0..nb) = init + sum over a's entries (r, k), chunk by chunk, ascending k, of
// a[r, k] * b[k, 0..nb), nb = 16 (NV - 1) + tail: NV vectors in registers, of which the last
// holds `tail` columns (kFull: 16). The first chunk starts from init (or zeros), later chunks
// from c. b's rows are read as whole vectors: b must be readable 16 floats past its last row
// (the extra lanes are never stored).
template <int NV, bool kBinary, bool kFull>
void gather_vec(const SparseRows& a, const float* b, int64_t ldb, const float* init, float* c,
                int64_t ldc, int64_t tail) {
  constexpr int L = NV - 1;
  const int32_t* idx = a.index.data();
  const float* val = a.value.data();
  for (int64_t ch = 0; ch < a.chunks; ++ch)
    for (int64_t r = 0; r < a.rows; ++r) {
      const int64_t e0 = a.begin(ch, r), e1 = a.end(ch, r);
      if (ch > 0 && e0 == e1) continue;
      float* cr = c + r * ldc;
      const float* from = ch > 0 ? cr : init;
      V16 acc[NV];
      for (int j = 0; j < L; ++j) acc[j] = from ? load16(from + 16 * j) : V16{};
      acc[L] = !from ? V16{} : kFull ? load16(from + 16 * L) : load_part(from + 16 * L, tail);
      for (int64_t e = e0; e < e1; ++e) {
        const float* br = b + int64_t(idx[e]) * ldb;
        if constexpr (kBinary) {
          for (int j = 0; j < NV; ++j) acc[j] += load16(br + 16 * j);
        } else {
          const float v = val[e];
          for (int j = 0; j < NV; ++j) acc[j] += v * load16(br + 16 * j);
        }
      }
      for (int j = 0; j < L; ++j) store16(cr + 16 * j, acc[j]);
      if (kFull)
        store16(cr + 16 * L, acc[L]);
      else
        store_part(cr + 16 * L, acc[L], tail);
    }
}

template <int NV>
void gather_nv(const SparseRows& a, const float* b, int64_t ldb, const float* init, float* c,
               int64_t ldc, int64_t tail) {
  if (a.binary && tail == 16)
    gather_vec<NV, true, true>(a, b, ldb, init, c, ldc, tail);
  else if (a.binary)
    gather_vec<NV, true, false>(a, b, ldb, init, c, ldc, tail);
  else if (tail == 16)
    gather_vec<NV, false, true>(a, b, ldb, init, c, ldc, tail);
  else
    gather_vec<NV, false, false>(a, b, ldb, init, c, ldc, tail);
}

// c[:, 0..nb) = init + a b[:, 0..nb) for 1 <= nb <= 64 columns (a sparse [R, K], b [K, ldb]
// readable 16 floats past its last row, c [R, ldc]).
void gather_block(const SparseRows& a, const float* b, int64_t ldb, const float* init, float* c,
                  int64_t ldc, int64_t nb) {
  if (a.chunks == 0) {  // no columns in a (K = 0): c = init
    for (int64_t r = 0; r < a.rows; ++r)
      for (int64_t o = 0; o < nb; ++o) c[r * ldc + o] = init ? init[o] : 0.f;
    return;
  }
  const int64_t nv = (nb + 15) / 16, tail = nb - 16 * (nv - 1);
  switch (nv) {
    case 4: gather_nv<4>(a, b, ldb, init, c, ldc, tail); break;
    case 3: gather_nv<3>(a, b, ldb, init, c, ldc, tail); break;
    case 2: gather_nv<2>(a, b, ldb, init, c, ldc, tail); break;
    default: gather_nv<1>(a, b, ldb, init, c, ldc, tail); break;
  }
}

// Number of nonzeros of xr[i0, i1); sets nonbinary when one of them is not 1.
inline int64_t count_segment(const float* xr, int64_t i0, int64_t i1, int& nonbinary) {
#if defined(__AVX512F__)
  const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.f);
  int64_t c = 0;
  unsigned nb = 0;
  for (int64_t i = i0; i < i1; i += 16) {
    const __mmask16 lm = i1 - i >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (i1 - i)) - 1);
    const __m512 v = _mm512_maskz_loadu_ps(lm, xr + i);
    const __mmask16 k = _mm512_cmp_ps_mask(v, zero, _CMP_NEQ_UQ);
    c += __builtin_popcount(k);
    nb |= _mm512_mask_cmp_ps_mask(k, v, one, _CMP_NEQ_UQ);
  }
#else
  int64_t c = 0;
  int nb = 0;
  for (int64_t i = i0; i < i1; ++i) {
    c += xr[i] != 0.f ? 1 : 0;
    nb |= (xr[i] != 0.f && xr[i] != 1.f) ? 1 : 0;
  }
#endif
  nonbinary |= nb != 0 ? 1 : 0;
  return c;
}

// Writes the nonzeros of xr[i0, i1) (values, column indices) to val/idx[e, end), exactly
// end - e of them; writes nothing outside that range (the next range belongs to another row,
// maybe filled by another thread).
inline void fill_segment(const float* xr, int64_t i0, int64_t i1, int64_t e, int64_t end,
                         float* val, int32_t* idx) {
#if defined(__AVX512F__)
  // Compress the nonzero lanes of 16 floats (and of their column numbers) to the front of a
  // register and store just those lanes.
  const __m512 zero = _mm512_setzero_ps();
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  for (int64_t i = i0; i < i1 && e < end; i += 16) {
    const __mmask16 lm = i1 - i >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (i1 - i)) - 1);
    const __m512 v = _mm512_maskz_loadu_ps(lm, xr + i);
    const __mmask16 k = _mm512_cmp_ps_mask(v, zero, _CMP_NEQ_UQ);
    const int n = __builtin_popcount(k);
    const __mmask16 sm = __mmask16((1u << n) - 1);
    const __m512i col = _mm512_add_epi32(lane, _mm512_set1_epi32(static_cast<int32_t>(i)));
    _mm512_mask_storeu_ps(val + e, sm, _mm512_maskz_compress_ps(k, v));
    _mm512_mask_storeu_epi32(idx + e, sm, _mm512_maskz_compress_epi32(k, col));
    e += n;
  }
#else
  // Branch-free compaction (spikes are random: a data-dependent branch mispredicts often):
  // every element is written at the next free slot, which only advances past nonzeros. Once
  // the range is full the rest of the segment is zeros and the loop stops.
  for (int64_t i = i0; i < i1 && e < end; ++i) {
    val[e] = xr[i];
    idx[e] = static_cast<int32_t>(i);
    e += xr[i] != 0.f ? 1 : 0;
  }
#endif
}

// Fills the chunked CSR of x [m, in] (see SparseRows); s.start must hold the offsets.
void fill_rows(const float* x, SparseRows& s) {
  const int64_t m = s.rows, in = s.cols, blocks = (m + kRowBlock - 1) / kRowBlock;
#pragma omp parallel for schedule(static) if (m * in > (1 << 16))
  for (int64_t blk = 0; blk < blocks; ++blk)
    for (int64_t r = blk * kRowBlock; r < std::min(m, (blk + 1) * kRowBlock); ++r)
      for (int64_t ch = 0; ch < s.chunks; ++ch)
        fill_segment(x + r * in, ch * s.chunk, std::min(in, (ch + 1) * s.chunk), s.begin(ch, r),
                     s.end(ch, r), s.value.data(), s.index.data());
}

void exclusive_offsets(ScratchArray<int64_t>& start, int64_t n) {
  start[0] = 0;
  for (int64_t k = 0; k < n; ++k) start[k + 1] += start[k];
}

}  // namespace

double nonzero_density(const float* x, int64_t n) {
  if (n <= 0) return 0.0;
  int64_t nnz = 0;
#pragma omp parallel for schedule(static) reduction(+ : nnz) if (n > (1 << 16))
  for (int64_t i = 0; i < n; ++i) nnz += x[i] != 0.f ? 1 : 0;
  return double(nnz) / double(n);
}

SparseRows sparse_rows(const float* x, int64_t m, int64_t in, double max_density,
                       int64_t chunk) {
  SOMA_ASSERT(in < (int64_t(1) << 31), "sparse linear: too many inputs");
  SparseRows s;
  s.rows = m;
  s.cols = in;
  s.chunk = std::max<int64_t>(1, std::min(chunk, in));
  s.chunks = in > 0 ? (in + s.chunk - 1) / s.chunk : 0;
  s.start = ScratchArray<int64_t>(s.chunks * m + 1);
  int nonbinary = 0;
  // Pass 1: nonzeros per (chunk, row), and whether any is not 1.
#pragma omp parallel for schedule(static) reduction(| : nonbinary) if (m * in > (1 << 16))
  for (int64_t r = 0; r < m; ++r) {
    const float* xr = x + r * in;
    for (int64_t ch = 0; ch < s.chunks; ++ch)
      s.start[ch * m + r + 1] =
          count_segment(xr, ch * s.chunk, std::min(in, (ch + 1) * s.chunk), nonbinary);
  }
  exclusive_offsets(s.start, s.chunks * m);
  s.nnz = s.start[s.chunks * m];
  s.binary = nonbinary == 0;
  if (s.density() > max_density) return s;
  s.filled = true;
  s.value = ScratchArray<float>(s.nnz);
  s.index = ScratchArray<int32_t>(s.nnz);
  fill_rows(x, s);
  return s;
}

SparseRows transpose(const SparseRows& x, int64_t chunk) {
  SOMA_ASSERT(x.filled, "sparse linear: transpose of an unfilled CSR");
  SOMA_ASSERT(x.rows < (int64_t(1) << 31), "sparse linear: too many rows");
  SparseRows t;
  t.rows = x.cols;
  t.cols = x.rows;
  t.nnz = x.nnz;
  t.binary = x.binary;
  t.filled = true;
  t.chunk = std::max<int64_t>(1, std::min(chunk, x.rows));
  t.chunks = x.rows > 0 ? (x.rows + t.chunk - 1) / t.chunk : 0;
  const int64_t n = t.rows;  // x's columns: the rows of x^T
  t.start = ScratchArray<int64_t>(t.chunks * n + 1);
  t.value = ScratchArray<float>(t.nnz);
  t.index = ScratchArray<int32_t>(t.nnz);
  // A counting sort per chunk of x's rows; chunks are independent (each owns its slice of
  // start and its entries), and rows are visited in ascending order so each list ascends.
  const int32_t* xi = x.index.data();
  const float* xv = x.value.data();
#pragma omp parallel for schedule(static) if (x.nnz > (1 << 14))
  for (int64_t ch = 0; ch < t.chunks; ++ch) {
    int64_t* cnt = t.start.data() + ch * n + 1;
    std::fill(cnt, cnt + n, int64_t(0));
    for (int64_t r = ch * t.chunk; r < std::min(x.rows, (ch + 1) * t.chunk); ++r)
      for (int64_t xc = 0; xc < x.chunks; ++xc)
        for (int64_t e = x.begin(xc, r); e < x.end(xc, r); ++e) ++cnt[xi[e]];
  }
  exclusive_offsets(t.start, t.chunks * n);
#pragma omp parallel
  {
    ScratchArray<int64_t> pos(n);
#pragma omp for schedule(static)
    for (int64_t ch = 0; ch < t.chunks; ++ch) {
      std::copy(t.start.data() + ch * n, t.start.data() + ch * n + n, pos.data());
      for (int64_t r = ch * t.chunk; r < std::min(x.rows, (ch + 1) * t.chunk); ++r)
        for (int64_t xc = 0; xc < x.chunks; ++xc)
          for (int64_t e = x.begin(xc, r); e < x.end(xc, r); ++e) {
            const int64_t p = pos[xi[e]]++;
            t.index[p] = static_cast<int32_t>(r);
            t.value[p] = xv[e];
          }
    }
  }
  return t;
}

void linear_forward_sparse(const SparseRows& x, const float* w, const float* b, int64_t out,
                           float* y) {
  const int64_t in = x.cols;
  const int64_t blocks = (out + kColBlock - 1) / kColBlock;
#pragma omp parallel
  {
    // W^T [I, nb] of one column block (+ 16 floats: gather_block reads whole vectors)
    ScratchBuffer wt(in * std::min(kColBlock, out) + 16);
    std::fill(wt.data(), wt.data() + in * std::min(kColBlock, out) + 16, 0.f);
#pragma omp for schedule(static)
    for (int64_t blk = 0; blk < blocks; ++blk) {
      const int64_t o0 = blk * kColBlock, nb = std::min(kColBlock, out - o0);
      float* t = wt.data();
      transpose_into<false>(w + o0 * in, in, nb, in, t, nb);
      gather_block(x, t, nb, b ? b + o0 : nullptr, y + o0, out, nb);
    }
  }
}

void linear_backward_weight_sparse(const SparseRows& x, const float* grad_y, int64_t out,
                                   float* grad_w, int64_t chunk) {
  const int64_t in = x.cols;
  const SparseRows xt = transpose(x, chunk);
  const int64_t blocks = (out + kColBlock - 1) / kColBlock;
#pragma omp parallel
  {
    ScratchBuffer gt(in * std::min(kColBlock, out));  // grad_W^T [I, nb] of one column block
    ScratchBuffer gp(x.rows * std::min(kColBlock, out) + 16);  // grad_y [M, nb], packed (+ 16)
    std::fill(gp.data(), gp.data() + x.rows * std::min(kColBlock, out) + 16, 0.f);
#pragma omp for schedule(static)
    for (int64_t blk = 0; blk < blocks; ++blk) {
      const int64_t o0 = blk * kColBlock, nb = std::min(kColBlock, out - o0);
      float* t = gt.data();
      float* g = gp.data();
      for (int64_t r = 0; r < x.rows; ++r)
        std::copy(grad_y + r * out + o0, grad_y + r * out + o0 + nb, g + r * nb);
      gather_block(xt, g, nb, nullptr, t, nb, nb);
      transpose_into<true>(t, nb, in, nb, grad_w + o0 * in, in);
    }
  }
}

}  // namespace soma
