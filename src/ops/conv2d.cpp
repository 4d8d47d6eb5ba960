#include "soma/ops/conv2d.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "soma/ops/gemm.hpp"

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

// Images per chunk of the weight-gradient reduction: a function of the batch only.
constexpr int64_t kMaxChunks = 8;

}  // namespace

void im2col(const float* x, const Conv2dGeometry& g, float* col) {
  const int64_t ho = g.h_out(), wo = g.w_out(), p = ho * wo;
  for (int64_t c = 0; c < g.c; ++c)
    for (int64_t a = 0; a < g.kh; ++a)
      for (int64_t e = 0; e < g.kw; ++e) {
        float* row = col + ((c * g.kh + a) * g.kw + e) * p;
        const float* plane = x + c * g.h * g.w;
        const int64_t off_w = e * g.dw - g.pw;
        int64_t jlo, jhi;
        valid_range(off_w, g.sw, g.w, wo, jlo, jhi);
        for (int64_t i = 0; i < ho; ++i) {
          float* r = row + i * wo;
          const int64_t ih = i * g.sh - g.ph + a * g.dh;
          if (ih < 0 || ih >= g.h) {
            std::fill(r, r + wo, 0.f);
            continue;
          }
          const float* src = plane + ih * g.w + off_w;
          std::fill(r, r + jlo, 0.f);
          if (g.sw == 1)
            std::memcpy(r + jlo, src + jlo, sizeof(float) * (jhi - jlo));
          else
            for (int64_t j = jlo; j < jhi; ++j) r[j] = src[j * g.sw];
          std::fill(r + jhi, r + wo, 0.f);
        }
      }
}

void col2im_add(const float* col, const Conv2dGeometry& g, float* x) {
  const int64_t ho = g.h_out(), wo = g.w_out(), p = ho * wo;
  for (int64_t c = 0; c < g.c; ++c)
    for (int64_t a = 0; a < g.kh; ++a)
      for (int64_t e = 0; e < g.kw; ++e) {
        const float* row = col + ((c * g.kh + a) * g.kw + e) * p;
        float* plane = x + c * g.h * g.w;
        const int64_t off_w = e * g.dw - g.pw;
        int64_t jlo, jhi;
        valid_range(off_w, g.sw, g.w, wo, jlo, jhi);
        for (int64_t i = 0; i < ho; ++i) {
          const int64_t ih = i * g.sh - g.ph + a * g.dh;
          if (ih < 0 || ih >= g.h) continue;
          const float* r = row + i * wo;
          float* dst = plane + ih * g.w + off_w;
          for (int64_t j = jlo; j < jhi; ++j) dst[j * g.sw] += r[j];
        }
      }
}

void conv2d_forward(const float* x, int64_t batch, const Conv2dGeometry& g, const float* weight,
                    const float* bias, float* y) {
  const int64_t p = g.h_out() * g.w_out();
  const int64_t kg = g.k_group(), og = g.o / g.groups;
  const int64_t in_size = g.c * g.h * g.w, out_size = g.o * p;
  const bool pointwise = g.is_pointwise();
#pragma omp parallel if (batch > 1)
  {
    std::vector<float> col(pointwise ? 0 : g.c * g.kh * g.kw * p);
#pragma omp for schedule(static)
    for (int64_t n = 0; n < batch; ++n) {
      const float* xn = x + n * in_size;
      float* yn = y + n * out_size;
      const float* cn = xn;
      if (!pointwise) {
        im2col(xn, g, col.data());
        cn = col.data();
      }
      if (bias)
        for (int64_t o = 0; o < g.o; ++o) std::fill(yn + o * p, yn + (o + 1) * p, bias[o]);
      for (int64_t gi = 0; gi < g.groups; ++gi)
        gemm(false, false, og, p, kg, 1.f, weight + gi * og * kg, kg, cn + gi * kg * p, p,
             bias ? 1.f : 0.f, yn + gi * og * p, p);
    }
  }
}

void conv2d_backward(const float* x, const float* grad_y, int64_t batch, const Conv2dGeometry& g,
                     const float* weight, float* grad_x, float* grad_weight, float* grad_bias) {
  const int64_t p = g.h_out() * g.w_out();
  const int64_t kg = g.k_group(), og = g.o / g.groups;
  const int64_t in_size = g.c * g.h * g.w, out_size = g.o * p;
  const int64_t w_size = g.o * kg;
  const bool pointwise = g.is_pointwise();

  if (grad_weight) {
    const int64_t chunks = std::min(batch, kMaxChunks);
    std::vector<float> partial(chunks * w_size, 0.f);
#pragma omp parallel if (chunks > 1)
    {
      std::vector<float> col(pointwise ? 0 : g.c * g.kh * g.kw * p);
#pragma omp for schedule(static)
      for (int64_t ch = 0; ch < chunks; ++ch) {
        float* part = partial.data() + ch * w_size;
        for (int64_t n = ch * batch / chunks; n < (ch + 1) * batch / chunks; ++n) {
          const float* cn = x + n * in_size;
          if (!pointwise) {
            im2col(cn, g, col.data());
            cn = col.data();
          }
          const float* gyn = grad_y + n * out_size;
          for (int64_t gi = 0; gi < g.groups; ++gi)
            gemm(false, true, og, kg, p, 1.f, gyn + gi * og * p, p, cn + gi * kg * p, p, 1.f,
                 part + gi * og * kg, kg);
        }
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
#pragma omp parallel for schedule(static) if (batch * out_size > (1 << 16))
    for (int64_t o = 0; o < g.o; ++o) {
      double s = 0.0;
      for (int64_t n = 0; n < batch; ++n) {
        const float* r = grad_y + n * out_size + o * p;
        for (int64_t j = 0; j < p; ++j) s += r[j];
      }
      grad_bias[o] += static_cast<float>(s);
    }
  }

  if (grad_x) {
#pragma omp parallel if (batch > 1)
    {
      std::vector<float> col(pointwise ? 0 : g.c * g.kh * g.kw * p);
#pragma omp for schedule(static)
      for (int64_t n = 0; n < batch; ++n) {
        float* gxn = grad_x + n * in_size;
        float* cn = pointwise ? gxn : col.data();
        const float* gyn = grad_y + n * out_size;
        for (int64_t gi = 0; gi < g.groups; ++gi)
          gemm(true, false, kg, p, og, 1.f, weight + gi * og * kg, kg, gyn + gi * og * p, p, 0.f,
               cn + gi * kg * p, p);
        if (!pointwise) {
          std::fill(gxn, gxn + in_size, 0.f);
          col2im_add(cn, g, gxn);
        }
      }
    }
  }
}

}  // namespace soma
