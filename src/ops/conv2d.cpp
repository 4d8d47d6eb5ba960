#include "soma/ops/conv2d.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "soma/ops/conv2d_dnnl.hpp"
#include "soma/ops/gemm.hpp"
#include "soma/ops/lane_sum.hpp"
#include "soma/tensor/allocator.hpp"

namespace soma {

namespace {

// Output columns j with 0 <= j*s + off < size: [lo, hi).
inline void valid_range(int64_t off, int64_t s, int64_t size, int64_t n_out, int64_t& lo,
                        int64_t& hi) {
  lo = off >= 0 ? 0 : (-off + s - 1) / s;
  hi = size - 1 - off < 0 ? 0 : (size - 1 - off) / s + 1;
  lo = std::min(lo, n_out);
  hi = std::clamp(hi, lo, n_out);
}

// Output rows [ilo, ihi) within [r0, r1) whose input row under kernel row a is in the image.
inline void tap_rows(const Conv2dGeometry& g, int64_t a, int64_t r0, int64_t r1, int64_t& ilo,
                     int64_t& ihi) {
  valid_range(a * g.dh - g.ph, g.sh, g.h, g.h_out(), ilo, ihi);
  ilo = std::clamp(ilo, r0, r1);
  ihi = std::clamp(ihi, ilo, r1);
}

// Zeroes columns [0, jlo) and [jhi, wo) of `rows` consecutive rows of width wo: the entries of
// a band's col row that fall on padding.
inline void zero_pad_columns(float* band, int64_t rows, int64_t wo, int64_t jlo, int64_t jhi) {
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < jlo; ++j) band[i * wo + j] = 0.f;
    for (int64_t j = jhi; j < wo; ++j) band[i * wo + j] = 0.f;
  }
}

// Images per chunk of the weight-gradient reduction: a function of the batch only.
constexpr int64_t kMaxChunks = 8;
// Whole images are grouped into one product only when they are small (P < 128 pixels), up to
// 256 columns: measured, grouping larger images costs more in copies than the bigger gemm gains.
constexpr int64_t kGroupBelowPixels = 128;
constexpr int64_t kGroupColumns = 256;

// One tile of the product: output rows [r0, r1) of image n (images == 1), or all rows of images
// [n, n + images).
struct Tile {
  int64_t n = 0, images = 1, r0 = 0, r1 = 0;
};

struct Plan {
  Conv2dGeometry g;
  ConvTiling t;
  int64_t ho = 0, wo = 0, p = 0, k_all = 0, kg = 0, og = 0, in_size = 0, out_size = 0;
  bool pointwise = false;

  Plan(const Conv2dGeometry& geom, int64_t batch, int64_t tile_bytes)
      : g(geom), t(conv2d_tiling(geom, batch, tile_bytes)) {
    ho = g.h_out();
    wo = g.w_out();
    p = ho * wo;
    k_all = g.c * g.kh * g.kw;
    kg = g.k_group();
    og = g.o / g.groups;
    in_size = g.c * g.h * g.w;
    out_size = g.o * p;
    pointwise = g.is_pointwise();
  }
  int64_t cols(const Tile& tl) const { return tl.images > 1 ? tl.images * p : (tl.r1 - tl.r0) * wo; }
  int64_t max_cols() const { return t.images > 1 ? t.images * p : t.rows * wo; }
  int64_t row_tiles() const { return (ho + t.rows - 1) / t.rows; }
  // The tiles of images [n0, n1), in order.
  template <typename F>
  void for_tiles(int64_t n0, int64_t n1, F&& f) const {
    if (t.images > 1) {
      for (int64_t n = n0; n < n1; n += t.images) f(Tile{n, std::min(t.images, n1 - n), 0, ho});
      return;
    }
    for (int64_t n = n0; n < n1; ++n)
      for (int64_t r0 = 0; r0 < ho; r0 += t.rows) f(Tile{n, 1, r0, std::min(ho, r0 + t.rows)});
  }

  // The col matrix of a tile: [k_all, cols] with row stride ldcol; pointwise single-image tiles
  // read x in place.
  const float* col_of(const float* x, const Tile& tl, float* buf, int64_t& ldcol) const {
    if (pointwise && tl.images == 1) {
      ldcol = p;
      return x + tl.n * in_size + tl.r0 * wo;
    }
    ldcol = cols(tl);
    for (int64_t j = 0; j < tl.images; ++j)
      im2col_rows(x + (tl.n + j) * in_size, g, tl.r0, tl.r1, buf + j * p, ldcol);
    return buf;
  }
};


// ---- Direct convolution for a small kernel volume (conv2d_direct_applies) ----
// The image is copied zero-padded into xp [C][Hp][Wx] (Hp = Ho + dh(kh-1), Wx = Wq + dw(kw-1),
// Wq = Wo rounded up to 64), so every tap of an output row is one unaligned run of xp and no
// edge tests remain. Per block of 4 output channels and output row, 4 x 4 vectors of 16 outputs
// accumulate the K taps in (c, a, e) order. (A direct weight gradient was measured no faster
// than gemm on gesture conv1: both are bound by reading grad_y, 268 MB per step.)
typedef float V16 __attribute__((vector_size(64), aligned(4), may_alias));
inline const V16& v16(const float* p) { return *reinterpret_cast<const V16*>(p); }
inline V16& v16(float* p) { return *reinterpret_cast<V16*>(p); }

constexpr int64_t kDirectMaxK = 28;
constexpr int64_t kDirectOutBlock = 4;

struct DirectPlan {
  int64_t ho, wo, wq, hp, wx, k;
  explicit DirectPlan(const Conv2dGeometry& g)
      : ho(g.h_out()), wo(g.w_out()), wq((g.w_out() + 63) / 64 * 64),
        hp(g.h_out() + g.dh * (g.kh - 1)), wx(wq + g.dw * (g.kw - 1)), k(g.c * g.kh * g.kw) {}
  int64_t xp_size(const Conv2dGeometry& g) const { return g.c * hp * wx; }
  // Offset in xp of tap k = (c, a, e) for output (0, 0).
  int64_t tap(const Conv2dGeometry& g, int64_t kk) const {
    const int64_t c = kk / (g.kh * g.kw), a = kk / g.kw % g.kh, e = kk % g.kw;
    return (c * hp + a * g.dh) * wx + e * g.dw;
  }
  // xp from one image x [C, H, W] (rows and columns outside the image: zero).
  void pad(const Conv2dGeometry& g, const float* x, float* xp) const {
    std::fill(xp, xp + xp_size(g), 0.f);
    for (int64_t c = 0; c < g.c; ++c)
      for (int64_t iy = 0; iy < g.h; ++iy) {
        const int64_t r = iy + g.ph;
        if (r >= hp) break;
        const int64_t x0 = std::max<int64_t>(0, -g.pw), x1 = std::min(g.w, wx - g.pw);
        if (x1 > x0)
          std::memcpy(xp + (c * hp + r) * wx + x0 + g.pw, x + (c * g.h + iy) * g.w + x0,
                      sizeof(float) * (x1 - x0));
      }
  }
};

void direct_forward_image(const Conv2dGeometry& g, const DirectPlan& dp, const float* xp,
                          const float* weight, const float* bias, const int64_t* taps,
                          float* row_tmp, float* y) {
  for (int64_t o0 = 0; o0 < g.o; o0 += kDirectOutBlock) {
    const int64_t nb = std::min(kDirectOutBlock, g.o - o0);
    float w[kDirectMaxK][kDirectOutBlock] = {};
    for (int64_t ob = 0; ob < nb; ++ob)
      for (int64_t kk = 0; kk < dp.k; ++kk) w[kk][ob] = weight[(o0 + ob) * dp.k + kk];
    for (int64_t i = 0; i < dp.ho; ++i) {
      for (int64_t j0 = 0; j0 < dp.wq; j0 += 64) {
        V16 acc[kDirectOutBlock][4];
        for (int64_t ob = 0; ob < kDirectOutBlock; ++ob)
          for (int q = 0; q < 4; ++q)
            acc[ob][q] = V16{} + (bias && ob < nb ? bias[o0 + ob] : 0.f);
        const float* base = xp + i * dp.wx + j0;
        for (int64_t kk = 0; kk < dp.k; ++kk) {
          const float* src = base + taps[kk];
          const V16 xv[4] = {v16(src), v16(src + 16), v16(src + 32), v16(src + 48)};
          for (int64_t ob = 0; ob < kDirectOutBlock; ++ob)
            for (int q = 0; q < 4; ++q) acc[ob][q] += w[kk][ob] * xv[q];
        }
        for (int64_t ob = 0; ob < kDirectOutBlock; ++ob)
          for (int q = 0; q < 4; ++q) v16(row_tmp + ob * dp.wq + j0 + 16 * q) = acc[ob][q];
      }
      for (int64_t ob = 0; ob < nb; ++ob)
        std::memcpy(y + ((o0 + ob) * dp.ho + i) * dp.wo, row_tmp + ob * dp.wq,
                    sizeof(float) * dp.wo);
    }
  }
}

}  // namespace

bool conv2d_direct_applies(const Conv2dGeometry& g) {
  return g.groups == 1 && g.sh == 1 && g.sw == 1 && g.c * g.kh * g.kw <= kDirectMaxK &&
         g.w_out() >= 16 && g.h_out() >= 1;
}

ConvTiling conv2d_tiling(const Conv2dGeometry& g, int64_t batch, int64_t tile_bytes) {
  ConvTiling t;
  const int64_t ho = g.h_out(), wo = g.w_out();
  t.rows = ho;
  if (g.is_pointwise() || ho <= 0 || wo <= 0) return t;
  const int64_t row_bytes = g.c * g.kh * g.kw * wo * int64_t(sizeof(float));
  if (row_bytes * ho > tile_bytes) {
    t.rows = std::clamp<int64_t>(tile_bytes / row_bytes, 1, ho);
  } else if (ho * wo < kGroupBelowPixels) {
    t.images = std::clamp<int64_t>(
        std::min(tile_bytes / (row_bytes * ho), kGroupColumns / (ho * wo)), 1,
        std::max<int64_t>(batch, 1));
  }
  return t;
}

void im2col_rows(const float* x, const Conv2dGeometry& g, int64_t r0, int64_t r1, float* col,
                 int64_t ldcol) {
  const int64_t wo = g.w_out();
  // Rows of a band lie back to back in x as in col (stride 1, output as wide as the input):
  // one contiguous copy per (c, a, e) and band, then the padding columns zeroed.
  const bool flat = g.sh == 1 && g.sw == 1 && wo == g.w;
  for (int64_t c = 0; c < g.c; ++c)
    for (int64_t a = 0; a < g.kh; ++a) {
      int64_t ilo, ihi;
      tap_rows(g, a, r0, r1, ilo, ihi);
      for (int64_t e = 0; e < g.kw; ++e) {
        float* row = col + ((c * g.kh + a) * g.kw + e) * ldcol;
        const float* plane = x + c * g.h * g.w;
        const int64_t off_w = e * g.dw - g.pw;
        int64_t jlo, jhi;
        valid_range(off_w, g.sw, g.w, wo, jlo, jhi);
        std::fill(row, row + (ilo - r0) * wo, 0.f);
        std::fill(row + (ihi - r0) * wo, row + (r1 - r0) * wo, 0.f);
        if (ilo == ihi) continue;
        const int64_t ih0 = ilo * g.sh - g.ph + a * g.dh;
        float* dst = row + (ilo - r0) * wo;
        const float* src = plane + ih0 * g.w + off_w;
        if (flat) {
          const int64_t n = (ihi - ilo) * wo, k1 = n - (wo - jhi);
          if (k1 > jlo) std::memcpy(dst + jlo, src + jlo, sizeof(float) * (k1 - jlo));
          zero_pad_columns(dst, ihi - ilo, wo, jlo, jhi);
          continue;
        }
        for (int64_t i = 0; i < ihi - ilo; ++i, dst += wo, src += g.sh * g.w) {
          for (int64_t j = 0; j < jlo; ++j) dst[j] = 0.f;
          if (g.sw == 1)
            for (int64_t j = jlo; j < jhi; ++j) dst[j] = src[j];
          else
            for (int64_t j = jlo; j < jhi; ++j) dst[j] = src[j * g.sw];
          for (int64_t j = jhi; j < wo; ++j) dst[j] = 0.f;
        }
      }
    }
}

void col2im_rows_add(const float* col, int64_t ldcol, const Conv2dGeometry& g, int64_t r0,
                     int64_t r1, float* x) {
  const int64_t wo = g.w_out();
  for (int64_t c = 0; c < g.c; ++c)
    for (int64_t a = 0; a < g.kh; ++a)
      for (int64_t e = 0; e < g.kw; ++e) {
        const float* row = col + ((c * g.kh + a) * g.kw + e) * ldcol;
        float* plane = x + c * g.h * g.w;
        const int64_t off_w = e * g.dw - g.pw;
        int64_t jlo, jhi;
        valid_range(off_w, g.sw, g.w, wo, jlo, jhi);
        for (int64_t i = r0; i < r1; ++i) {
          const int64_t ih = i * g.sh - g.ph + a * g.dh;
          if (ih < 0 || ih >= g.h) continue;
          const float* r = row + (i - r0) * wo;
          float* dst = plane + ih * g.w + off_w;
          if (g.sw == 1)
            for (int64_t j = jlo; j < jhi; ++j) dst[j] += r[j];
          else
            for (int64_t j = jlo; j < jhi; ++j) dst[j * g.sw] += r[j];
        }
      }
}

namespace {

// col2im_rows_add for a col matrix that may be overwritten (conv2d_backward's scratch): with
// stride 1 and output as wide as the input, the entries of padding columns are set to zero and
// each (c, a, e) row is added to x in one contiguous run (x + 0 == x, and x is never -0, so the
// result is bit-identical to col2im_rows_add).
void col2im_rows_add_scratch(float* col, int64_t ldcol, const Conv2dGeometry& g, int64_t r0,
                             int64_t r1, float* x) {
  const int64_t wo = g.w_out();
  if (g.sh != 1 || g.sw != 1 || wo != g.w) {
    col2im_rows_add(col, ldcol, g, r0, r1, x);
    return;
  }
  for (int64_t c = 0; c < g.c; ++c)
    for (int64_t a = 0; a < g.kh; ++a) {
      int64_t ilo, ihi;
      tap_rows(g, a, r0, r1, ilo, ihi);
      if (ilo == ihi) continue;
      const int64_t ih0 = ilo * g.sh - g.ph + a * g.dh;
      for (int64_t e = 0; e < g.kw; ++e) {
        float* src = col + ((c * g.kh + a) * g.kw + e) * ldcol + (ilo - r0) * wo;
        const int64_t off_w = e * g.dw - g.pw;
        int64_t jlo, jhi;
        valid_range(off_w, g.sw, g.w, wo, jlo, jhi);
        zero_pad_columns(src, ihi - ilo, wo, jlo, jhi);
        float* dst = x + c * g.h * g.w + ih0 * g.w + off_w;
        const int64_t n = (ihi - ilo) * wo, k1 = n - (wo - jhi);
        for (int64_t k = jlo; k < k1; ++k) dst[k] += src[k];
      }
    }
}

}  // namespace

void im2col(const float* x, const Conv2dGeometry& g, float* col) {
  im2col_rows(x, g, 0, g.h_out(), col, g.h_out() * g.w_out());
}

void col2im_add(const float* col, const Conv2dGeometry& g, float* x) {
  col2im_rows_add(col, g.h_out() * g.w_out(), g, 0, g.h_out(), x);
}

void conv2d_forward(const float* x, int64_t batch, const Conv2dGeometry& geom,
                    const float* weight, const float* bias, float* y, int64_t tile_bytes) {
  if (conv2d_dnnl_applies(geom) && conv2d_forward_dnnl(x, batch, geom, weight, bias, y)) return;
  if (conv2d_direct_applies(geom)) {
    const DirectPlan dp(geom);
    std::vector<int64_t> taps(dp.k);
    for (int64_t kk = 0; kk < dp.k; ++kk) taps[kk] = dp.tap(geom, kk);
    const int64_t in_size = geom.c * geom.h * geom.w, out_size = geom.o * dp.ho * dp.wo;
#pragma omp parallel if (batch > 1)
    {
      ScratchBuffer xp(dp.xp_size(geom)), row(kDirectOutBlock * dp.wq);
#pragma omp for schedule(static)
      for (int64_t n = 0; n < batch; ++n) {
        dp.pad(geom, x + n * in_size, xp.data());
        direct_forward_image(geom, dp, xp.data(), weight, bias, taps.data(), row.data(),
                             y + n * out_size);
      }
    }
    return;
  }
  const Plan pl(geom, batch, tile_bytes);
  std::vector<Tile> tiles;
  pl.for_tiles(0, batch, [&](const Tile& t) { tiles.push_back(t); });
  const int64_t n_tiles = static_cast<int64_t>(tiles.size());
#pragma omp parallel if (n_tiles > 1)
  {
    ScratchBuffer col(pl.pointwise ? 0 : pl.k_all * pl.max_cols());
    ScratchBuffer ytmp(pl.t.images > 1 ? pl.g.o * pl.max_cols() : 0);
#pragma omp for schedule(static)
    for (int64_t ti = 0; ti < n_tiles; ++ti) {
      const Tile& tl = tiles[ti];
      const int64_t cols = pl.cols(tl);
      int64_t ldcol = 0;
      const float* cm = pl.col_of(x, tl, col.data(), ldcol);
      // Output: y rows [o, r0*wo ...] in place for one image, else a [O, cols] temporary.
      float* out = tl.images > 1 ? ytmp.data() : y + tl.n * pl.out_size + tl.r0 * pl.wo;
      const int64_t ldo = tl.images > 1 ? cols : pl.p;
      if (bias)
        for (int64_t o = 0; o < pl.g.o; ++o) std::fill(out + o * ldo, out + o * ldo + cols, bias[o]);
      for (int64_t gi = 0; gi < pl.g.groups; ++gi)
        gemm(false, false, pl.og, cols, pl.kg, 1.f, weight + gi * pl.og * pl.kg, pl.kg,
             cm + gi * pl.kg * ldcol, ldcol, bias ? 1.f : 0.f, out + gi * pl.og * ldo, ldo);
      if (tl.images > 1)
        for (int64_t j = 0; j < tl.images; ++j)
          for (int64_t o = 0; o < pl.g.o; ++o)
            std::memcpy(y + (tl.n + j) * pl.out_size + o * pl.p, out + o * ldo + j * pl.p,
                        sizeof(float) * pl.p);
    }
  }
}

void conv2d_backward(const float* x, const float* grad_y, int64_t batch,
                     const Conv2dGeometry& geom, const float* weight, float* grad_x,
                     float* grad_weight, float* grad_bias, int64_t tile_bytes) {
  // oneDNN: both gradients, or only the weight gradient of a first layer (C < 16).
  const bool dnnl_all = (grad_x || grad_weight) && conv2d_dnnl_applies(geom);
  const bool dnnl_weight = grad_weight && conv2d_dnnl_weight_grad_applies(geom);
  if ((dnnl_all || dnnl_weight) &&
      conv2d_backward_dnnl(x, grad_y, batch, geom, weight, dnnl_all ? grad_x : nullptr,
                           grad_weight)) {
    if (dnnl_all) grad_x = nullptr;  // done
    grad_weight = nullptr;
  }
  const Plan pl(geom, batch, tile_bytes);
  const int64_t w_size = pl.g.o * pl.kg;
  const bool multi = pl.t.images > 1;

  // grad_y of a tile: in place for one image, else gathered into a [O, cols] temporary.
  auto gy_of = [&](const Tile& tl, float* buf, int64_t& ld) -> const float* {
    if (!multi) {
      ld = pl.p;
      return grad_y + tl.n * pl.out_size + tl.r0 * pl.wo;
    }
    ld = pl.cols(tl);
    for (int64_t j = 0; j < tl.images; ++j)
      for (int64_t o = 0; o < pl.g.o; ++o)
        std::memcpy(buf + o * ld + j * pl.p, grad_y + (tl.n + j) * pl.out_size + o * pl.p,
                    sizeof(float) * pl.p);
    return buf;
  };

  if (grad_weight) {
    const int64_t chunks = std::min(batch, kMaxChunks);
    ScratchBuffer partial(chunks * w_size);
    std::fill(partial.data(), partial.data() + chunks * w_size, 0.f);
#pragma omp parallel if (chunks > 1)
    {
      ScratchBuffer col(pl.pointwise ? 0 : pl.k_all * pl.max_cols());
      ScratchBuffer gyt(multi ? pl.g.o * pl.max_cols() : 0);
#pragma omp for schedule(static)
      for (int64_t ch = 0; ch < chunks; ++ch) {
        float* part = partial.data() + ch * w_size;
        pl.for_tiles(ch * batch / chunks, (ch + 1) * batch / chunks, [&](const Tile& tl) {
          const int64_t cols = pl.cols(tl);
          int64_t ldcol = 0, ldg = 0;
          const float* cm = pl.col_of(x, tl, col.data(), ldcol);
          const float* gm = gy_of(tl, gyt.data(), ldg);
          for (int64_t gi = 0; gi < pl.g.groups; ++gi)
            gemm(false, true, pl.og, pl.kg, cols, 1.f, gm + gi * pl.og * ldg, ldg,
                 cm + gi * pl.kg * ldcol, ldcol, 1.f, part + gi * pl.og * pl.kg, pl.kg);
        });
      }
    }
    // Fixed-order sum of the chunk partials.
#pragma omp parallel for schedule(static) if (w_size > (1 << 14))
    for (int64_t i = 0; i < w_size; ++i) {
      float s = 0.f;
      for (int64_t ch = 0; ch < chunks; ++ch) s += partial[ch * w_size + i];
      grad_weight[i] += s;
    }
  }

  if (grad_bias) {
    // sum over images and pixels of grad_y[n, o, :], in double lanes (a single double chain
    // was a tenth of an mnist-liaf training step).
#pragma omp parallel for schedule(static) if (batch * pl.out_size > (1 << 16))
    for (int64_t o = 0; o < pl.g.o; ++o) {
      LaneSums s;
      for (int64_t n = 0; n < batch; ++n) s.add(grad_y + n * pl.out_size + o * pl.p, pl.p);
      grad_bias[o] += static_cast<float>(s.total());
    }
  }

  if (grad_x) {
    // Work items: whole images (or multi-image tiles); an image's row tiles run in order in one
    // thread because their col2im footprints overlap.
    const int64_t step = multi ? pl.t.images : 1;
    const int64_t items = (batch + step - 1) / step;
#pragma omp parallel if (items > 1)
    {
      ScratchBuffer col(pl.pointwise ? 0 : pl.k_all * pl.max_cols());
      ScratchBuffer gyt(multi ? pl.g.o * pl.max_cols() : 0);
#pragma omp for schedule(static)
      for (int64_t it = 0; it < items; ++it) {
        const int64_t n0 = it * step, n1 = std::min(batch, n0 + step);
        if (!pl.pointwise) std::fill(grad_x + n0 * pl.in_size, grad_x + n1 * pl.in_size, 0.f);
        pl.for_tiles(n0, n1, [&](const Tile& tl) {
          const int64_t cols = pl.cols(tl);
          int64_t ldg = 0;
          const float* gm = gy_of(tl, gyt.data(), ldg);
          // Pointwise: grad_x is the product itself, written in place.
          float* cm = pl.pointwise ? grad_x + tl.n * pl.in_size + tl.r0 * pl.wo : col.data();
          const int64_t ldcol = pl.pointwise ? pl.p : cols;
          for (int64_t gi = 0; gi < pl.g.groups; ++gi)
            gemm(true, false, pl.kg, cols, pl.og, 1.f, weight + gi * pl.og * pl.kg, pl.kg,
                 gm + gi * pl.og * ldg, ldg, 0.f, cm + gi * pl.kg * ldcol, ldcol);
          if (!pl.pointwise)
            for (int64_t j = 0; j < tl.images; ++j)
              col2im_rows_add_scratch(cm + j * pl.p, ldcol, pl.g, tl.r0, tl.r1,
                                      grad_x + (tl.n + j) * pl.in_size);
        });
      }
    }
  }
}

}  // namespace soma
