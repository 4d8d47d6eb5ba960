#include "soma/ops/sparse_conv2d.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "soma/core/error.hpp"
#include "soma/ops/transpose.hpp"

namespace soma {

namespace {

// Output channels per block: a block's accumulators are four 16-float registers (as in
// ops/sparse_linear.cpp); the transposed weights of one block, [kh*kw, C, 64], are 147 KiB for
// C = 64 and 3x3 (L2-resident). Blocks of a layer with O % 64 != 0 are zero-padded.
constexpr int64_t kBlock = 64;
// Images per chunk of the weight-gradient reduction: as ops/conv2d.cpp (a function of B only).
constexpr int64_t kMaxChunks = 8;

// 16 floats as one value (GCC/Clang vector extension: one zmm with AVX-512); aligned(4) lets a
// V16 pointer read and write any float position.
typedef float V16 __attribute__((vector_size(64), aligned(4), may_alias));
inline const V16& at(const float* p) { return *reinterpret_cast<const V16*>(p); }
inline V16& at(float* p) { return *reinterpret_cast<V16*>(p); }

// acc[0..4) (64 floats) += v * w[0..64).
inline void add_row(V16 (&acc)[4], float v, const float* w) {
  for (int q = 0; q < 4; ++q) acc[q] += v * at(w + 16 * q);
}

// out[0..64) += sum over the listing entries [k, end) of val[k] * w row (slot[k] - shift), in two
// accumulator sets (even and odd entries: half-length add chains) added at the end. kBinary:
// every val is 1 and the rows are added as they are (v * w == w exactly: same result).
template <bool kBinary>
inline void accumulate_run(float* out, const float* val, const int32_t* sl, int64_t k,
                           int64_t end, const float* w, int64_t shift) {
  V16 a[4] = {at(out), at(out + 16), at(out + 32), at(out + 48)}, b[4] = {};
  auto add = [&](V16(&acc)[4], int64_t e) {
    const float* row = w + (sl[e] - shift) * kBlock;
    if (kBinary)
      for (int q = 0; q < 4; ++q) acc[q] += at(row + 16 * q);
    else
      add_row(acc, val[e], row);
  };
  for (; k + 1 < end; k += 2) {
    add(a, k);
    add(b, k + 1);
  }
  if (k < end) add(a, k);
  for (int q = 0; q < 4; ++q) at(out + 16 * q) = a[q] + b[q];
}

int64_t blocks_of(const Conv2dGeometry& g) { return (g.o + kBlock - 1) / kBlock; }
int64_t taps_of(const Conv2dGeometry& g) { return g.kh * g.kw; }

// Wt [blocks][kh*kw][C][64] from weight [O, C, kh, kw] (zero columns past O).
void transpose_weight(const float* weight, const Conv2dGeometry& g, float* wt) {
  const int64_t taps = taps_of(g), blocks = blocks_of(g);
#pragma omp parallel for schedule(static) if (g.o * g.c * taps > (1 << 16))
  for (int64_t blk = 0; blk < blocks; ++blk)
    for (int64_t t = 0; t < taps; ++t)
      for (int64_t c = 0; c < g.c; ++c) {
        float* dst = wt + ((blk * taps + t) * g.c + c) * kBlock;
        for (int64_t o = 0; o < kBlock; ++o) {
          const int64_t oo = blk * kBlock + o;
          dst[o] = oo < g.o ? weight[(oo * g.c + c) * taps + t] : 0.f;
        }
      }
}

// Calls f(tap, r, ix) for the taps (a, e) of output pixel (i, j) that land inside the image, in
// order, with r the tapped input pixel's row in the listing (image n) and ix its column.
template <typename F>
inline void for_taps(const Conv2dGeometry& g, int64_t n, int64_t i, int64_t j, F&& f) {
  const int64_t base = n * g.h * g.w;
  for (int64_t a = 0; a < g.kh; ++a) {
    const int64_t iy = i * g.sh - g.ph + a * g.dh;
    if (iy < 0 || iy >= g.h) continue;
    for (int64_t e = 0; e < g.kw; ++e) {
      const int64_t ix = j * g.sw - g.pw + e * g.dw;
      if (ix < 0 || ix >= g.w) continue;
      f(a * g.kw + e, base + iy * g.w + ix, ix);
    }
  }
}

// dst [nb, P] from src [P, 64] (16 x 16 register tiles).
void channels_last_to_planar(const float* src, int64_t p_out, int64_t nb, float* dst) {
  transpose_into<false>(src, kBlock, p_out, nb, dst, p_out);
}

// dst [P, 64] from src [nb, P] (row stride ld), zero columns past nb.
void planar_to_channels_last(const float* src, int64_t ld, int64_t p_out, int64_t nb, float* dst) {
  if (nb < kBlock)
    for (int64_t p = 0; p < p_out; ++p) std::fill(dst + p * kBlock + nb, dst + (p + 1) * kBlock, 0.f);
  transpose_into<false>(src, ld, nb, p_out, dst, kBlock);
}

// The plane-wise weight gradient (stride 1, dilation 1) works on grad_y of one image and block
// stored channels-last with a zero border of kh-1 rows and kw-1 columns on each side:
// G [Ho + 2(kh-1)][Wo + 2(kw-1)][64]. Input pixel (iy, ix) under tap (a, e) reads output pixel
// (iy + ph - a, ix + pw - e), at G offset pixel_offset(iy, ix) - (a * Wp + e) * 64.
bool plane_path(const Conv2dGeometry& g) {
  if (g.sh != 1 || g.sw != 1 || g.dh != 1 || g.dw != 1) return false;
  const int64_t hp = g.h_out() + 2 * (g.kh - 1), wp = g.w_out() + 2 * (g.kw - 1);
  return hp * wp * kBlock < (int64_t(1) << 31);
}

// acc over the entries [k0, k1) of one plane for NE consecutive taps e0.. of one kernel row, then
// dst[e * e_stride + 0..64) += acc[e] (dst = the partial gradient row of tap (a, e0), channel c).
template <int NE>
inline void plane_taps(const float* gbuf, int64_t shift, const int32_t* offset,
                       const int32_t* pix, const float* val, int64_t k0, int64_t k1, float* dst,
                       int64_t e_stride) {
  V16 acc[NE][4] = {};
  for (int64_t k = k0; k < k1; ++k) {
    const float* gp = gbuf + (offset[pix[k]] - shift);
    const float v = val[k];
    for (int e = 0; e < NE; ++e)
      for (int q = 0; q < 4; ++q) acc[e][q] += v * at(gp - e * kBlock + 16 * q);
  }
  for (int e = 0; e < NE; ++e)
    for (int q = 0; q < 4; ++q) at(dst + e * e_stride + 16 * q) += acc[e][q];
}

}  // namespace

bool sparse_conv2d_supported(const Conv2dGeometry& g) { return g.groups == 1; }

bool sparse_conv2d_plane_weight_grad(const Conv2dGeometry& g) { return plane_path(g); }

double sparse_conv2d_forward_max_density(const Conv2dGeometry& g) {
  return sparse_conv2d_supported(g) && g.c >= kSparseConvMinChannels ? kSparseConvMaxDensity
                                                                     : -1.0;
}

double sparse_conv2d_weight_grad_max_density(const Conv2dGeometry& g, int64_t batch) {
  if (!sparse_conv2d_supported(g)) return -1.0;
  if (plane_path(g)) return kSparseConvWeightGradMaxDensity;
  return batch >= kSparseConvWeightGradMinImages ? kSparseConvScatterWeightGradMaxDensity : -1.0;
}

double sampled_density(const float* x, int64_t batch, int64_t image_size, int64_t samples) {
  if (batch <= 0 || image_size <= 0) return 0.0;
  const int64_t k = std::min(batch, std::max<int64_t>(samples, 1));
  int64_t nnz = 0;
  for (int64_t s = 0; s < k; ++s) {
    const float* p = x + (s * batch / k) * image_size;
    for (int64_t i = 0; i < image_size; ++i) nnz += p[i] != 0.f ? 1 : 0;
  }
  return double(nnz) / double(k * image_size);
}

SparsePixels sparse_pixels(const float* x, int64_t batch, const Conv2dGeometry& g,
                           double max_density, double planes_max_density) {
  SOMA_ASSERT(g.w * g.c * kBlock < (int64_t(1) << 31) && g.h * g.w < (int64_t(1) << 31),
              "sparse conv2d: too many channels or pixels");
  SparsePixels s;
  s.batch = batch;
  s.channels = g.c;
  s.h = g.h;
  s.w = g.w;
  const int64_t hw = g.h * g.w, rows = batch * hw, planes = batch * g.c;
  s.start = ScratchArray<int64_t>(rows + 1);
  s.plane_start = ScratchArray<int64_t>(planes + 1);
  int64_t* start = s.start.data();
  int64_t* pstart = s.plane_start.data();
  const bool par = s.size() > (1 << 16);
  // Pass 1: nonzeros per pixel (start[r + 1] = count of row r) and per plane.
#pragma omp parallel for schedule(static) if (par)
  for (int64_t n = 0; n < batch; ++n) {
    int64_t* cnt = start + 1 + n * hw;
    std::fill(cnt, cnt + hw, int64_t(0));
    for (int64_t c = 0; c < g.c; ++c) {
      const float* plane = x + (n * g.c + c) * hw;
      int64_t total = 0;
      for (int64_t p = 0; p < hw; ++p) {
        const int64_t nz = plane[p] != 0.f ? 1 : 0;
        cnt[p] += nz;
        total += nz;
      }
      pstart[1 + n * g.c + c] = total;
    }
  }
  start[0] = 0;
  for (int64_t r = 0; r < rows; ++r) start[r + 1] += start[r];
  pstart[0] = 0;
  for (int64_t r = 0; r < planes; ++r) pstart[r + 1] += pstart[r];
  s.nnz = start[rows];
  if (s.density() > max_density) return s;
  s.filled = true;
  s.planes = s.density() <= planes_max_density;
  s.value = ScratchArray<float>(s.nnz);
  s.slot = ScratchArray<int32_t>(s.nnz);
  std::vector<int32_t> slot_base(hw);  // ix * C of pixel p
  for (int64_t p = 0; p < hw; ++p) slot_base[p] = static_cast<int32_t>(p % g.w * g.c);
  if (s.planes) {
    s.plane_value = ScratchArray<float>(s.nnz);
    s.plane_pixel = ScratchArray<int32_t>(s.nnz);
  }
  // Pass 2: channel planes in order; per 16 pixels a bit mask of the nonzeros, whose set bits
  // are appended to their pixels' rows (cost ~ nonzeros + pixels / 16, few mispredictions) and,
  // in order, to the plane's list.
#pragma omp parallel if (par)
  {
    ScratchArray<int64_t> pos(hw);
#pragma omp for schedule(static)
    for (int64_t n = 0; n < batch; ++n) {
      std::memcpy(pos.data(), start + n * hw, sizeof(int64_t) * hw);
      float* val = s.value.data();
      int32_t* sl = s.slot.data();
      float* pval = s.plane_value.data();
      int32_t* ppix = s.plane_pixel.data();
      int64_t kp = pstart[n * g.c];
      for (int64_t c = 0; c < g.c; ++c) {
        const float* plane = x + (n * g.c + c) * hw;
        for (int64_t p0 = 0; p0 < hw; p0 += 16) {
          const int64_t lim = std::min<int64_t>(16, hw - p0);
          uint32_t m = 0;
          for (int64_t q = 0; q < lim; ++q) m |= uint32_t(plane[p0 + q] != 0.f) << q;
          while (m) {
            const int64_t p = p0 + __builtin_ctz(m);
            m &= m - 1;
            const int64_t k = pos[p]++;
            val[k] = plane[p];
            sl[k] = slot_base[p] + static_cast<int32_t>(c);
            if (s.planes) {
              pval[kp] = plane[p];
              ppix[kp++] = static_cast<int32_t>(p);
            }
          }
        }
      }
    }
  }
  return s;
}

void conv2d_forward_sparse(const SparsePixels& x, const Conv2dGeometry& g, const float* weight,
                           const float* bias, float* y) {
  SOMA_ASSERT(x.filled && x.channels == g.c && x.h == g.h && x.w == g.w && g.groups == 1,
              "sparse conv2d: listing does not match the geometry");
  const int64_t taps = taps_of(g), blocks = blocks_of(g);
  const int64_t ho = g.h_out(), wo = g.w_out(), p_out = ho * wo;
  ScratchBuffer wt(blocks * taps * g.c * kBlock);
  transpose_weight(weight, g, wt.data());
  const int64_t* start = x.start.data();
  const int32_t* sl = x.slot.data();
  const float* val = x.value.data();
  if (g.dw == 1) {
    // Spikes (every listed value 1): the weight rows are added without the multiply.
    const bool binary = std::all_of(val, val + x.nnz, [](float v) { return v == 1.f; });
    // Kernel row by kernel row (its transposed weights, kw * C * 64 floats, stay in L1/L2): per
    // output pixel the taps (a, 0..kw) read kw adjacent input pixels, whose entries are one run
    // of the listing; entry k's weight row is Wt[a, ix - ix0, c] = Wt[a] + (slot[k] - ix0 C) 64.
    // The channels-last output of the image and block accumulates over the kernel rows.
#pragma omp parallel
    {
      ScratchBuffer acc(p_out * kBlock);
#pragma omp for schedule(static)
      for (int64_t n = 0; n < x.batch; ++n)
        for (int64_t blk = 0; blk < blocks; ++blk) {
          const int64_t o0 = blk * kBlock, nb = std::min(kBlock, g.o - o0);
          float init[kBlock] = {};
          if (bias) std::copy(bias + o0, bias + o0 + nb, init);
          for (int64_t p = 0; p < p_out; ++p)
            for (int q = 0; q < 4; ++q) at(acc.data() + p * kBlock + 16 * q) = at(init + 16 * q);
          for (int64_t ka = 0; ka < g.kh; ++ka) {
            const float* wa = wt.data() + (blk * taps + ka * g.kw) * g.c * kBlock;
            for (int64_t i = 0; i < ho; ++i) {
              const int64_t iy = i * g.sh - g.ph + ka * g.dh;
              if (iy < 0 || iy >= g.h) continue;
              const int64_t* rs = start + n * g.h * g.w + iy * g.w;
              for (int64_t j = 0; j < wo; ++j) {
                const int64_t ix0 = j * g.sw - g.pw;
                const int64_t lo = std::max<int64_t>(ix0, 0), hi = std::min(ix0 + g.kw, g.w);
                if (lo >= hi) continue;
                const int64_t shift = ix0 * g.c;  // slot - shift = e * C + c
                float* out = acc.data() + (i * wo + j) * kBlock;
                if (binary)
                  accumulate_run<true>(out, val, sl, rs[lo], rs[hi], wa, shift);
                else
                  accumulate_run<false>(out, val, sl, rs[lo], rs[hi], wa, shift);
              }
            }
          }
          channels_last_to_planar(acc.data(), p_out, nb, y + (n * g.o + o0) * p_out);
        }
    }
    return;
  }
#pragma omp parallel
  {
    ScratchBuffer acc(p_out * kBlock);  // channels-last output of one image and block
#pragma omp for schedule(static)
    for (int64_t n = 0; n < x.batch; ++n)
      for (int64_t blk = 0; blk < blocks; ++blk) {
        const int64_t o0 = blk * kBlock, nb = std::min(kBlock, g.o - o0);
        float init[kBlock] = {};
        if (bias) std::copy(bias + o0, bias + o0 + nb, init);
        const float* wb = wt.data() + blk * taps * g.c * kBlock;
        for (int64_t i = 0; i < ho; ++i)
          for (int64_t j = 0; j < wo; ++j) {
            // Two accumulator sets (even and odd entries of each row) halve the dependency
            // chains of the adds; they are summed at the end (a fixed order).
            V16 a[4] = {at(init), at(init + 16), at(init + 32), at(init + 48)}, b[4] = {};
            for_taps(g, n, i, j, [&](int64_t t, int64_t r, int64_t ix) {
              const float* wtap = wb + t * g.c * kBlock;
              const int64_t shift = ix * g.c;  // slot - shift = c
              int64_t k = start[r];
              const int64_t end = start[r + 1];
              for (; k + 1 < end; k += 2) {
                add_row(a, val[k], wtap + (sl[k] - shift) * kBlock);
                add_row(b, val[k + 1], wtap + (sl[k + 1] - shift) * kBlock);
              }
              if (k < end) add_row(a, val[k], wtap + (sl[k] - shift) * kBlock);
            });
            float* out = acc.data() + (i * wo + j) * kBlock;
            for (int q = 0; q < 4; ++q) at(out + 16 * q) = a[q] + b[q];
          }
        channels_last_to_planar(acc.data(), p_out, nb, y + (n * g.o + o0) * p_out);
      }
  }
}

namespace {
// The weight gradient's work loop: per fixed chunk of images (chunks in parallel, each thread
// with its own scratch from make_scratch()), the chunk's partial [blocks][taps][C][64] zeroed,
// then body(scratch, partial of the block, n, nb, grad_y of image n and the block) for every
// image of the chunk and block of 64 outputs (nb of them real), in order.
template <class MakeScratch, class Body>
void for_chunk_blocks(const Conv2dGeometry& g, int64_t batch, int64_t chunks, float* partial,
                      int64_t w_size, const float* grad_y, const MakeScratch& make_scratch,
                      const Body& body) {
  const int64_t blocks = blocks_of(g), block_size = taps_of(g) * g.c * kBlock;
  const int64_t p_out = g.h_out() * g.w_out();
#pragma omp parallel if (chunks > 1)
  {
    ScratchBuffer scratch = make_scratch();
#pragma omp for schedule(static)
    for (int64_t chunk = 0; chunk < chunks; ++chunk) {
      float* part = partial + chunk * w_size;
      std::fill(part, part + w_size, 0.f);
      for (int64_t n = chunk * batch / chunks; n < (chunk + 1) * batch / chunks; ++n)
        for (int64_t blk = 0; blk < blocks; ++blk) {
          const int64_t o0 = blk * kBlock;
          body(scratch, part + blk * block_size, n, std::min(kBlock, g.o - o0),
               grad_y + (n * g.o + o0) * p_out);
        }
    }
  }
}
}  // namespace

void conv2d_backward_weight_sparse(const SparsePixels& x, const Conv2dGeometry& g,
                                   const float* grad_y, float* grad_weight) {
  SOMA_ASSERT(x.filled && x.channels == g.c && x.h == g.h && x.w == g.w && g.groups == 1,
              "sparse conv2d: listing does not match the geometry");
  const int64_t taps = taps_of(g), blocks = blocks_of(g);
  const int64_t ho = g.h_out(), wo = g.w_out(), p_out = ho * wo;
  const int64_t w_size = blocks * taps * g.c * kBlock;
  const int64_t batch = x.batch;
  const int64_t chunks = std::min(batch, kMaxChunks);
  if (chunks <= 0) return;
  ScratchBuffer partial(chunks * w_size);
  const int64_t* start = x.start.data();
  const int32_t* sl = x.slot.data();
  const float* val = x.value.data();
  if (x.planes && plane_path(g)) {
    // Per image and block: grad_y to G (see plane_path), then per plane (c) and kernel row a
    // the taps' rows of G at the plane's active pixels summed in registers, added once.
    const int64_t hp = ho + 2 * (g.kh - 1), wp = wo + 2 * (g.kw - 1);
    std::vector<int32_t> offset(g.h * g.w);  // G offset of input pixel p under tap (0, 0)
    for (int64_t iy = 0; iy < g.h; ++iy)
      for (int64_t ix = 0; ix < g.w; ++ix)
        offset[iy * g.w + ix] =
            static_cast<int32_t>(((iy + g.ph + g.kh - 1) * wp + ix + g.pw + g.kw - 1) * kBlock);
    const int64_t* pstart = x.plane_start.data();
    const int32_t* pix = x.plane_pixel.data();
    const float* pval = x.plane_value.data();
    auto zeroed_g = [&] {
      ScratchBuffer gbuf(hp * wp * kBlock);
      std::fill(gbuf.data(), gbuf.data() + hp * wp * kBlock, 0.f);  // the border stays zero
      return gbuf;
    };
    for_chunk_blocks(g, batch, chunks, partial.data(), w_size, grad_y, zeroed_g,
                     [&](ScratchBuffer& gbuf, float* pb, int64_t n, int64_t nb, const float* gn) {
      for (int64_t i = 0; i < ho; ++i)
        planar_to_channels_last(gn + i * wo, p_out, wo, nb,
                                gbuf.data() + ((i + g.kh - 1) * wp + g.kw - 1) * kBlock);
      for (int64_t c = 0; c < g.c; ++c) {
        const int64_t k0 = pstart[n * g.c + c], k1 = pstart[n * g.c + c + 1];
        if (k0 == k1) continue;
        for (int64_t a = 0; a < g.kh; ++a)
          for (int64_t e0 = 0; e0 < g.kw; e0 += 3) {
            const int64_t shift = (a * wp + e0) * kBlock;
            const float* gb = gbuf.data();
            float* dst = pb + ((a * g.kw + e0) * g.c + c) * kBlock;
            const int64_t e_stride = g.c * kBlock;
            switch (std::min<int64_t>(3, g.kw - e0)) {
              case 3: plane_taps<3>(gb, shift, offset.data(), pix, pval, k0, k1, dst, e_stride); break;
              case 2: plane_taps<2>(gb, shift, offset.data(), pix, pval, k0, k1, dst, e_stride); break;
              default: plane_taps<1>(gb, shift, offset.data(), pix, pval, k0, k1, dst, e_stride);
            }
          }
      }
    });
  } else {
    // grad_y of one image and block, channels-last
    auto channels_last = [&] { return ScratchBuffer(p_out * kBlock); };
    for_chunk_blocks(g, batch, chunks, partial.data(), w_size, grad_y, channels_last,
                     [&](ScratchBuffer& gcl, float* pb, int64_t n, int64_t nb, const float* gn) {
      float* gc = gcl.data();
      planar_to_channels_last(gn, p_out, p_out, nb, gc);
      for (int64_t i = 0; i < ho; ++i)
        for (int64_t j = 0; j < wo; ++j) {
          const float* gp = gc + (i * wo + j) * kBlock;
          const V16 gr[4] = {at(gp), at(gp + 16), at(gp + 32), at(gp + 48)};
          for_taps(g, n, i, j, [&](int64_t t, int64_t r, int64_t ix) {
            const int64_t shift = (ix - t) * g.c;  // slot - shift = t C + c
            for (int64_t k = start[r], end = start[r + 1]; k < end; ++k) {
              float* w = pb + (sl[k] - shift) * kBlock;
              const float v = val[k];
              for (int q = 0; q < 4; ++q) at(w + 16 * q) += v * gr[q];
            }
          });
        }
    });
  }
  // Fixed-order sum of the chunk partials (into chunk 0's, contiguous rows), then transposed
  // back to [O, C, kh, kw].
  float* sum = partial.data();
#pragma omp parallel for schedule(static) if (w_size > (1 << 16))
  for (int64_t i0 = 0; i0 < w_size; i0 += kBlock)
    for (int64_t chunk = 1; chunk < chunks; ++chunk)
      for (int64_t i = i0; i < i0 + kBlock; ++i) sum[i] += partial[chunk * w_size + i];
#pragma omp parallel for schedule(static) if (w_size > (1 << 16))
  for (int64_t o = 0; o < g.o; ++o) {
    const int64_t blk = o / kBlock, ob = o % kBlock;
    for (int64_t c = 0; c < g.c; ++c)
      for (int64_t t = 0; t < taps; ++t)
        grad_weight[(o * g.c + c) * taps + t] += sum[((blk * taps + t) * g.c + c) * kBlock + ob];
  }
}

}  // namespace soma
