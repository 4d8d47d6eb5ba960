// Out-of-place matrix transpose in 16 x 16 register tiles (AVX-512), for the layout changes
// of the spike-aware kernels (weights to gather-friendly rows, channels-last scratch back to
// planes): a scalar element loop was a fifth of the spike-aware convolution's forward.
#pragma once

#include <algorithm>
#include <cstdint>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace soma {

// dst[j * ldd + i] (+)= src[i * lds + j] for i < rows, j < cols: 16 x 16 tiles (in registers
// with AVX-512), scalar edges.
template <bool kAccumulate>
inline void transpose_into(const float* src, int64_t lds, int64_t rows, int64_t cols, float* dst,
                    int64_t ldd) {
  int64_t i0 = 0;
#if defined(__AVX512F__)
  for (; i0 + 16 <= rows; i0 += 16)
    for (int64_t j0 = 0; j0 + 16 <= cols; j0 += 16) {
      // (The masked forms with an explicit pass-through avoid GCC 12's false
      // -Wmaybe-uninitialized on the unmasked intrinsics.)
      constexpr __mmask16 kAll = 0xFFFF;
      __m512 r[16], a[16];
      for (int k = 0; k < 16; ++k) r[k] = _mm512_loadu_ps(src + (i0 + k) * lds + j0);
      for (int k = 0; k < 8; ++k) {
        a[2 * k] = _mm512_mask_unpacklo_ps(r[2 * k], kAll, r[2 * k], r[2 * k + 1]);
        a[2 * k + 1] = _mm512_mask_unpackhi_ps(r[2 * k], kAll, r[2 * k], r[2 * k + 1]);
      }
      for (int k = 0; k < 4; ++k) {
        r[4 * k] = _mm512_shuffle_ps(a[4 * k], a[4 * k + 2], 0x44);
        r[4 * k + 1] = _mm512_shuffle_ps(a[4 * k], a[4 * k + 2], 0xEE);
        r[4 * k + 2] = _mm512_shuffle_ps(a[4 * k + 1], a[4 * k + 3], 0x44);
        r[4 * k + 3] = _mm512_shuffle_ps(a[4 * k + 1], a[4 * k + 3], 0xEE);
      }
      for (int k = 0; k < 4; ++k) {
        a[k] = _mm512_mask_shuffle_f32x4(r[k], kAll, r[k], r[4 + k], 0x88);
        a[4 + k] = _mm512_mask_shuffle_f32x4(r[k], kAll, r[k], r[4 + k], 0xDD);
        a[8 + k] = _mm512_mask_shuffle_f32x4(r[8 + k], kAll, r[8 + k], r[12 + k], 0x88);
        a[12 + k] = _mm512_mask_shuffle_f32x4(r[8 + k], kAll, r[8 + k], r[12 + k], 0xDD);
      }
      for (int k = 0; k < 4; ++k) {
        r[k] = _mm512_mask_shuffle_f32x4(a[k], kAll, a[k], a[8 + k], 0x88);
        r[8 + k] = _mm512_mask_shuffle_f32x4(a[k], kAll, a[k], a[8 + k], 0xDD);
        r[4 + k] = _mm512_mask_shuffle_f32x4(a[4 + k], kAll, a[4 + k], a[12 + k], 0x88);
        r[12 + k] = _mm512_mask_shuffle_f32x4(a[4 + k], kAll, a[4 + k], a[12 + k], 0xDD);
      }
      for (int k = 0; k < 16; ++k) {  // r[k] = column j0 + k of the tile
        float* d = dst + (j0 + k) * ldd + i0;
        _mm512_storeu_ps(d, kAccumulate ? _mm512_add_ps(_mm512_loadu_ps(d), r[k]) : r[k]);
      }
    }
  const int64_t jv = cols / 16 * 16;  // columns done above for rows < i0
#else
  const int64_t jv = 0;
#endif
  auto put = [&](int64_t i, int64_t j) {
    float& d = dst[j * ldd + i];
    d = kAccumulate ? d + src[i * lds + j] : src[i * lds + j];
  };
  for (int64_t i = 0; i < i0; ++i)
    for (int64_t j = jv; j < cols; ++j) put(i, j);
  for (int64_t ib = i0; ib < rows; ib += 16)  // remaining rows, in tiles for locality
    for (int64_t j = 0; j < cols; ++j)
      for (int64_t i = ib; i < std::min(rows, ib + 16); ++i) put(i, j);
}

}  // namespace soma
