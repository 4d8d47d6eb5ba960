#include "soma/ops/pool.hpp"

#include <algorithm>
#include <limits>

#if defined(__AVX512F__) && defined(__AVX512BW__)
#include <immintrin.h>
#define SOMA_POOL_AVX512 1
#endif

#include "soma/core/error.hpp"

namespace soma {

namespace {

constexpr int64_t kParallelElems = 1 << 15;

inline int64_t bin_start(int64_t i, int64_t in, int64_t out) { return i * in / out; }
inline int64_t bin_end(int64_t i, int64_t in, int64_t out) {
  return ((i + 1) * in + out - 1) / out;
}

bool is_2x2(const Pool2dGeometry& g) {
  return g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.ph == 0 && g.pw == 0;
}

// The max of a 2x2 window (a b / c d) and the winner's offset among (0, 1, w, w + 1): strict >,
// so the first element equal to the max wins, and 0 when the max stays -inf (all -inf or NaN).
// Branch-free: the winners of random inputs would mispredict.
inline float window_max(float a, float b, float c, float d, int32_t w, int32_t& off) {
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  float best = kNegInf;
  best = a > best ? a : best;
  best = b > best ? b : best;
  best = c > best ? c : best;
  best = d > best ? d : best;
  off = d == best ? w + 1 : 0;
  off = c == best ? w : off;
  off = b == best ? 1 : off;
  off = a == best ? 0 : off;
  off = best == kNegInf ? 0 : off;
  return best;
}

#ifdef SOMA_POOL_AVX512
// The lanes [0, n) of 16, n clamped to [0, 16].
inline __mmask16 first_lanes(int64_t n) {
  return n >= 16 ? __mmask16(0xFFFF) : n <= 0 ? __mmask16(0) : __mmask16((1u << n) - 1u);
}

// 16 lanes from p: plain loads for whole blocks, masked ones only at a row's tail (masked
// 512-bit memory operations are slow on some CPUs, e.g. AMD Zen 4).
inline __m512 load16(const float* p, int64_t n) {
  if (n >= 16) return _mm512_loadu_ps(p);
  return n > 0 ? _mm512_maskz_loadu_ps(first_lanes(n), p) : _mm512_setzero_ps();
}
inline void store16(float* p, int64_t n, __m512 v) {
  if (n >= 16)
    _mm512_storeu_ps(p, v);
  else if (n > 0)
    _mm512_mask_storeu_ps(p, first_lanes(n), v);
}

// 2x2 forward over one pair of input rows, 16 windows per step (the row's tail masked): y and
// the window offset of the winner, with the selections of the scalar loop (strict >, first
// equal to the max, 0 when the max stays -inf).
// padded: the rows and outputs lie in padded buffers (see pool.hpp): every block runs unmasked.
void maxpool2x2_row_avx512(const float* r0, const float* r1, int64_t wo, float* yr,
                           uint8_t* ar, bool padded = false) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  const __m512 neg_inf = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  for (int64_t j = 0; j < wo; j += 16) {
    const int64_t n = padded ? 16 : wo - j;  // windows left (>= 16: a whole block)
    const __m512 p0 = load16(r0 + 2 * j, 2 * n), p1 = load16(r0 + 2 * j + 16, 2 * n - 16);
    const __m512 q0 = load16(r1 + 2 * j, 2 * n), q1 = load16(r1 + 2 * j + 16, 2 * n - 16);
    const __m512 a = _mm512_permutex2var_ps(p0, even, p1), b = _mm512_permutex2var_ps(p0, odd, p1);
    const __m512 c = _mm512_permutex2var_ps(q0, even, q1), d = _mm512_permutex2var_ps(q0, odd, q1);
    // vmaxps(u, v) is u > v ? u : v (v when either is NaN): the scalar selection exactly.
    // (The maskz forms with a full mask: gcc 12 warns about the plain ones' undefined source.)
    constexpr __mmask16 all = 0xFFFF;
    __m512 best = _mm512_maskz_max_ps(all, a, neg_inf);
    best = _mm512_maskz_max_ps(all, b, best);
    best = _mm512_maskz_max_ps(all, c, best);
    best = _mm512_maskz_max_ps(all, d, best);
    store16(yr + j, n, best);
    if (!ar) continue;
    __m512i off = _mm512_maskz_mov_epi32(_mm512_cmp_ps_mask(d, best, _CMP_EQ_OQ),
                                         _mm512_set1_epi32(3));
    off = _mm512_mask_mov_epi32(off, _mm512_cmp_ps_mask(c, best, _CMP_EQ_OQ), _mm512_set1_epi32(2));
    off = _mm512_mask_mov_epi32(off, _mm512_cmp_ps_mask(b, best, _CMP_EQ_OQ), _mm512_set1_epi32(1));
    const __mmask16 zero = _mm512_cmp_ps_mask(a, best, _CMP_EQ_OQ) |
                           _mm512_cmp_ps_mask(best, neg_inf, _CMP_EQ_OQ);
    off = _mm512_mask_mov_epi32(off, zero, _mm512_setzero_si512());
    const __m128i bytes = _mm512_maskz_cvtepi32_epi8(0xFFFF, off);  // vpmovdb to a register
    if (n >= 16)
      _mm_storeu_si128(reinterpret_cast<__m128i*>(ar + j), bytes);
    else
      _mm_mask_storeu_epi8(ar + j, first_lanes(n), bytes);
  }
}

// 2x2 backward over one output row, 16 windows per step (the row's tail masked): the two
// input rows, winner 0 + g, others +0.
void maxpool2x2_grad_row_avx512(const float* gr, const uint8_t* ar, int64_t wo, float* r0,
                                float* r1, bool padded = false) {
  const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i hi = _mm512_add_epi32(lo, _mm512_set1_epi32(8));
  for (int64_t j = 0; j < wo; j += 16) {
    const int64_t n = padded ? 16 : wo - j;
    const __m512 v = _mm512_add_ps(_mm512_setzero_ps(), load16(gr + j, n));
    const __m128i bytes =
        n >= 16 ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(ar + j))
                : _mm_maskz_loadu_epi8(first_lanes(n), ar + j);
    const __m512i off = _mm512_maskz_cvtepu8_epi32(0xFFFF, bytes);
    const __m512 e0 = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(off, _mm512_set1_epi32(0)), v);
    const __m512 e1 = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(off, _mm512_set1_epi32(1)), v);
    const __m512 e2 = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(off, _mm512_set1_epi32(2)), v);
    const __m512 e3 = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(off, _mm512_set1_epi32(3)), v);
    store16(r0 + 2 * j, 2 * n, _mm512_permutex2var_ps(e0, lo, e1));
    store16(r0 + 2 * j + 16, 2 * n - 16, _mm512_permutex2var_ps(e0, hi, e1));
    store16(r1 + 2 * j, 2 * n, _mm512_permutex2var_ps(e2, lo, e3));
    store16(r1 + 2 * j + 16, 2 * n - 16, _mm512_permutex2var_ps(e2, hi, e3));
  }
}
#endif

}  // namespace

void maxpool2x2_row(const float* r0, const float* r1, int64_t wo, float* y, uint8_t* argmax,
                    bool padded) {
#ifdef SOMA_POOL_AVX512
  maxpool2x2_row_avx512(r0, r1, wo, y, argmax, padded && wo <= 16);
#else
  (void)padded;
  for (int64_t j = 0; j < wo; ++j) {
    int32_t off = 0;
    y[j] = window_max(r0[2 * j], r0[2 * j + 1], r1[2 * j], r1[2 * j + 1], 2, off);
    if (argmax) argmax[j] = static_cast<uint8_t>(off);
  }
#endif
}

void maxpool2x2_grad_row(const float* g, const uint8_t* argmax, int64_t wo, float* r0,
                         float* r1, bool padded) {
#ifdef SOMA_POOL_AVX512
  maxpool2x2_grad_row_avx512(g, argmax, wo, r0, r1, padded && wo <= 16);
#else
  (void)padded;
  for (int64_t j = 0; j < wo; ++j) {
    const float v = 0.f + g[j];
    const int off = argmax[j];
    r0[2 * j] = off == 0 ? v : 0.f;
    r0[2 * j + 1] = off == 1 ? v : 0.f;
    r1[2 * j] = off == 2 ? v : 0.f;
    r1[2 * j + 1] = off == 3 ? v : 0.f;
  }
#endif
}

namespace {

// 2x2 windows, stride 2, no padding (the common SNN pooling): same candidates in the same
// order (row-major in the window, strict > so ties keep the first) as the general loop. One
// read of the input, one write of y and of the argmax: Index int32_t stores the winner's index
// in the plane, uint8_t its offset in the window (0..3, row-major).
template <class Index>
void maxpool2x2_forward(const float* x, int64_t planes, const Pool2dGeometry& g, float* y,
                        Index* argmax) {
  constexpr bool kPlaneIndex = sizeof(Index) > 1;
  const int64_t ho = g.h_out(), wo = g.w_out();
#pragma omp parallel for schedule(static) if (planes * g.h * g.w > kParallelElems)
  for (int64_t pl = 0; pl < planes; ++pl) {
    const float* xp = x + pl * g.h * g.w;
    float* yp = y + pl * ho * wo;
    Index* ap = argmax ? argmax + pl * ho * wo : nullptr;
    for (int64_t i = 0; i < ho; ++i) {
      const float* r0 = xp + 2 * i * g.w;
      const float* r1 = r0 + g.w;
      const int32_t base = kPlaneIndex ? static_cast<int32_t>(2 * i * g.w) : 0;  // 0: offsets
      const int32_t w = kPlaneIndex ? static_cast<int32_t>(g.w) : 2;
      float* __restrict yr = yp + i * wo;
      Index* __restrict ar = ap ? ap + i * wo : nullptr;
      // Branch-free and vectorized (branches on random analog inputs mispredict; measured 10% of
      // a LIAF network's step). The argmax is found after the max: the general loop keeps the
      // first element that beat every earlier one, which is the first element equal to the max,
      // or the window's first element when the max stays -inf (all -inf or NaN).
#ifdef SOMA_POOL_AVX512
      // The same selections, 16 windows at a time (gcc leaves the 1-byte form scalar).
      if constexpr (!kPlaneIndex) {
        maxpool2x2_row_avx512(r0, r1, wo, yr, ar);
        continue;
      }
#endif
      // Blocks of 64 windows: the winners go to an int32 row first, which keeps the loop
      // vectorizable, then to `ar` (a copy, or the narrowing to bytes).
      for (int64_t j0 = 0; j0 < wo; j0 += 64) {
        const int64_t j1 = std::min<int64_t>(wo, j0 + 64);
        int32_t win[64];
        for (int64_t j = j0; j < j1; ++j) {
          int32_t off = 0;
          yr[j] = window_max(r0[2 * j], r0[2 * j + 1], r1[2 * j], r1[2 * j + 1], w, off);
          win[j - j0] = kPlaneIndex ? base + 2 * int32_t(j) + off : off;
        }
        if (ar)
          for (int64_t j = j0; j < j1; ++j) ar[j] = static_cast<Index>(win[j - j0]);
      }
    }
  }
}

// 2x2 backward from window offsets: every input element is written exactly once (the winner
// gets 0 + grad_y, as fill-then-add gives it, signed zeros included; the rest and the rows and
// columns outside every window (odd H or W) get 0), so no separate zero fill.
void maxpool2x2_backward(const float* grad_y, const uint8_t* argmax, int64_t planes,
                         const Pool2dGeometry& g, float* grad_x) {
  const int64_t ho = g.h_out(), wo = g.w_out(), w = g.w;
#pragma omp parallel for schedule(static) if (planes * g.h * g.w > kParallelElems)
  for (int64_t pl = 0; pl < planes; ++pl) {
    float* gx = grad_x + pl * g.h * w;
    const float* gp = grad_y + pl * ho * wo;
    const uint8_t* ap = argmax + pl * ho * wo;
    for (int64_t i = 0; i < ho; ++i) {
      float* __restrict r0 = gx + 2 * i * w;
      float* __restrict r1 = r0 + w;
      const float* __restrict gr = gp + i * wo;
      const uint8_t* __restrict ar = ap + i * wo;
      maxpool2x2_grad_row(gr, ar, wo, r0, r1);
      if (w > 2 * wo) r0[w - 1] = r1[w - 1] = 0.f;
    }
    if (g.h > 2 * ho) std::fill(gx + 2 * ho * w, gx + g.h * w, 0.f);
  }
}

// General windows: candidates row-major inside the window clipped to the plane, strict > so
// ties keep the first; an all -inf/NaN window reports its first in-plane position.
// put(o, r, c, wr, wc) records the winner (r, c) of output o whose window starts at (wr, wc).
template <class Put>
void general_maxpool_forward(const float* x, int64_t planes, const Pool2dGeometry& g, float* y,
                             const Put& put, bool with_index) {
  const int64_t ho = g.h_out(), wo = g.w_out();
#pragma omp parallel for schedule(static) if (planes * g.h * g.w > kParallelElems)
  for (int64_t pl = 0; pl < planes; ++pl) {
    const float* xp = x + pl * g.h * g.w;
    for (int64_t i = 0; i < ho; ++i) {
      const int64_t wr = i * g.sh - g.ph;
      const int64_t r0 = std::max<int64_t>(wr, 0), r1 = std::min<int64_t>(wr + g.kh, g.h);
      for (int64_t j = 0; j < wo; ++j) {
        const int64_t wc = j * g.sw - g.pw;
        const int64_t c0 = std::max<int64_t>(wc, 0), c1 = std::min<int64_t>(wc + g.kw, g.w);
        float best = -std::numeric_limits<float>::infinity();
        int64_t br = r0, bc = c0;
        for (int64_t r = r0; r < r1; ++r)
          for (int64_t c = c0; c < c1; ++c)
            if (xp[r * g.w + c] > best) {  // strict: ties keep the first
              best = xp[r * g.w + c];
              br = r;
              bc = c;
            }
        const int64_t o = (pl * ho + i) * wo + j;
        y[o] = best;
        if (with_index) put(o, br, bc, wr, wc);
      }
    }
  }
}

}  // namespace

void maxpool2d_forward(const float* x, int64_t planes, const Pool2dGeometry& g, float* y,
                       int32_t* argmax) {
  if (is_2x2(g)) {
    maxpool2x2_forward(x, planes, g, y, argmax);
    return;
  }
  general_maxpool_forward(x, planes, g, y, [&](int64_t o, int64_t r, int64_t c, int64_t, int64_t) {
    argmax[o] = static_cast<int32_t>(r * g.w + c);
  }, argmax != nullptr);
}

void maxpool2d_forward(const float* x, int64_t planes, const Pool2dGeometry& g, float* y,
                       uint8_t* argmax) {
  SOMA_ASSERT(g.kh * g.kw <= 256, "maxpool2d: a ", g.kh, "x", g.kw,
              " window does not fit 1-byte offsets");
  if (is_2x2(g)) {
    maxpool2x2_forward(x, planes, g, y, argmax);
    return;
  }
  general_maxpool_forward(
      x, planes, g, y,
      [&](int64_t o, int64_t r, int64_t c, int64_t wr, int64_t wc) {
        argmax[o] = static_cast<uint8_t>((r - wr) * g.kw + (c - wc));
      },
      argmax != nullptr);
}

namespace {
// grad_x = 0, then grad_x[plane][index_of(plane, i, j)] += grad_y[plane][i, j] for every window
// (i, j) in order: max pooling's backward, for either form of the stored winners.
template <class IndexOf>
void scatter_winner_grads(const float* grad_y, int64_t planes, const Pool2dGeometry& g,
                          float* grad_x, const IndexOf& index_of) {
  const int64_t ho = g.h_out(), wo = g.w_out(), in = g.h * g.w;
#pragma omp parallel for schedule(static) if (planes * in > kParallelElems)
  for (int64_t pl = 0; pl < planes; ++pl) {
    float* gx = grad_x + pl * in;
    std::fill(gx, gx + in, 0.f);
    const float* gy = grad_y + pl * ho * wo;
    for (int64_t i = 0; i < ho; ++i)
      for (int64_t j = 0; j < wo; ++j) gx[index_of(pl, i, j)] += gy[i * wo + j];
  }
}
}  // namespace

void maxpool2d_backward(const float* grad_y, const int32_t* argmax, int64_t planes,
                        const Pool2dGeometry& g, float* grad_x) {
  const int64_t wo = g.w_out(), p_out = g.h_out() * wo;
  scatter_winner_grads(grad_y, planes, g, grad_x, [&](int64_t pl, int64_t i, int64_t j) {
    return int64_t(argmax[pl * p_out + i * wo + j]);
  });
}

void maxpool2d_backward(const float* grad_y, const uint8_t* argmax, int64_t planes,
                        const Pool2dGeometry& g, float* grad_x) {
  if (is_2x2(g)) {
    maxpool2x2_backward(grad_y, argmax, planes, g, grad_x);
    return;
  }
  const int64_t wo = g.w_out(), p_out = g.h_out() * wo;
  scatter_winner_grads(grad_y, planes, g, grad_x, [&](int64_t pl, int64_t i, int64_t j) {
    const int64_t off = argmax[pl * p_out + i * wo + j];
    return (i * g.sh - g.ph + off / g.kw) * g.w + (j * g.sw - g.pw + off % g.kw);
  });
}

void avgpool2d_forward(const float* x, int64_t planes, const Pool2dGeometry& g, float* y) {
  const int64_t ho = g.h_out(), wo = g.w_out();
  const float inv = 1.f / static_cast<float>(g.kh * g.kw);
  if (g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.ph == 0 && g.pw == 0) {
    // Same sum order as the general loop below.
#pragma omp parallel for schedule(static) if (planes * g.h * g.w > kParallelElems)
    for (int64_t pl = 0; pl < planes; ++pl)
      for (int64_t i = 0; i < ho; ++i) {
        const float* r0 = x + pl * g.h * g.w + 2 * i * g.w;
        const float* r1 = r0 + g.w;
        float* yr = y + pl * ho * wo + i * wo;
        for (int64_t j = 0; j < wo; ++j) {
          float s = 0.f;
          s += r0[2 * j];
          s += r0[2 * j + 1];
          s += r1[2 * j];
          s += r1[2 * j + 1];
          yr[j] = s * inv;
        }
      }
    return;
  }
#pragma omp parallel for schedule(static) if (planes * g.h * g.w > kParallelElems)
  for (int64_t pl = 0; pl < planes; ++pl) {
    const float* xp = x + pl * g.h * g.w;
    float* yp = y + pl * ho * wo;
    for (int64_t i = 0; i < ho; ++i) {
      const int64_t r0 = std::max<int64_t>(i * g.sh - g.ph, 0);
      const int64_t r1 = std::min<int64_t>(i * g.sh - g.ph + g.kh, g.h);
      for (int64_t j = 0; j < wo; ++j) {
        const int64_t c0 = std::max<int64_t>(j * g.sw - g.pw, 0);
        const int64_t c1 = std::min<int64_t>(j * g.sw - g.pw + g.kw, g.w);
        float s = 0.f;
        for (int64_t r = r0; r < r1; ++r)
          for (int64_t c = c0; c < c1; ++c) s += xp[r * g.w + c];
        yp[i * wo + j] = s * inv;
      }
    }
  }
}

void avgpool2d_backward(const float* grad_y, int64_t planes, const Pool2dGeometry& g,
                        float* grad_x) {
  const int64_t ho = g.h_out(), wo = g.w_out(), in = g.h * g.w;
  const float inv = 1.f / static_cast<float>(g.kh * g.kw);
  if (g.kh == g.sh && g.kw == g.sw && g.ph == 0 && g.pw == 0) {
    // Windows that tile the plane: each element is written once, 0 + v (as the fill-then-add
    // below gives it: a -0 gradient becomes +0), and rows / columns past the last window 0.
#pragma omp parallel for schedule(static) if (planes * in > kParallelElems)
    for (int64_t pl = 0; pl < planes; ++pl) {
      float* gx = grad_x + pl * in;
      const float* gy = grad_y + pl * ho * wo;
      for (int64_t i = 0; i < ho; ++i) {
        float* row = gx + i * g.kh * g.w;
        for (int64_t j = 0; j < wo; ++j) {
          const float v = 0.f + gy[i * wo + j] * inv;
          for (int64_t c = 0; c < g.kw; ++c) row[j * g.kw + c] = v;
        }
        std::fill(row + wo * g.kw, row + g.w, 0.f);
        for (int64_t r = 1; r < g.kh; ++r) std::copy(row, row + g.w, row + r * g.w);
      }
      std::fill(gx + ho * g.kh * g.w, gx + in, 0.f);
    }
    return;
  }
#pragma omp parallel for schedule(static) if (planes * in > kParallelElems)
  for (int64_t pl = 0; pl < planes; ++pl) {
    float* gx = grad_x + pl * in;
    std::fill(gx, gx + in, 0.f);
    const float* gy = grad_y + pl * ho * wo;
    for (int64_t i = 0; i < ho; ++i) {
      const int64_t r0 = std::max<int64_t>(i * g.sh - g.ph, 0);
      const int64_t r1 = std::min<int64_t>(i * g.sh - g.ph + g.kh, g.h);
      for (int64_t j = 0; j < wo; ++j) {
        const int64_t c0 = std::max<int64_t>(j * g.sw - g.pw, 0);
        const int64_t c1 = std::min<int64_t>(j * g.sw - g.pw + g.kw, g.w);
        const float v = gy[i * wo + j] * inv;
        for (int64_t r = r0; r < r1; ++r)
          for (int64_t c = c0; c < c1; ++c) gx[r * g.w + c] += v;
      }
    }
  }
}

void adaptive_avgpool2d_forward(const float* x, int64_t planes, int64_t h, int64_t w, int64_t oh,
                                int64_t ow, float* y) {
#pragma omp parallel for schedule(static) if (planes * h * w > kParallelElems)
  for (int64_t pl = 0; pl < planes; ++pl) {
    const float* xp = x + pl * h * w;
    float* yp = y + pl * oh * ow;
    for (int64_t i = 0; i < oh; ++i) {
      const int64_t r0 = bin_start(i, h, oh), r1 = bin_end(i, h, oh);
      for (int64_t j = 0; j < ow; ++j) {
        const int64_t c0 = bin_start(j, w, ow), c1 = bin_end(j, w, ow);
        double s = 0.0;
        for (int64_t r = r0; r < r1; ++r)
          for (int64_t c = c0; c < c1; ++c) s += xp[r * w + c];
        yp[i * ow + j] = static_cast<float>(s / double((r1 - r0) * (c1 - c0)));
      }
    }
  }
}

void adaptive_avgpool2d_backward(const float* grad_y, int64_t planes, int64_t h, int64_t w,
                                 int64_t oh, int64_t ow, float* grad_x) {
#pragma omp parallel for schedule(static) if (planes * h * w > kParallelElems)
  for (int64_t pl = 0; pl < planes; ++pl) {
    float* gx = grad_x + pl * h * w;
    std::fill(gx, gx + h * w, 0.f);
    const float* gy = grad_y + pl * oh * ow;
    for (int64_t i = 0; i < oh; ++i) {
      const int64_t r0 = bin_start(i, h, oh), r1 = bin_end(i, h, oh);
      for (int64_t j = 0; j < ow; ++j) {
        const int64_t c0 = bin_start(j, w, ow), c1 = bin_end(j, w, ow);
        const float v = gy[i * ow + j] / static_cast<float>((r1 - r0) * (c1 - c0));
        for (int64_t r = r0; r < r1; ++r)
          for (int64_t c = c0; c < c1; ++c) gx[r * w + c] += v;
      }
    }
  }
}

}  // namespace soma
