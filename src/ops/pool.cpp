#include "soma/ops/pool.hpp"

#include <algorithm>
#include <limits>

namespace soma {

namespace {

constexpr int64_t kParallelElems = 1 << 15;

inline int64_t bin_start(int64_t i, int64_t in, int64_t out) { return i * in / out; }
inline int64_t bin_end(int64_t i, int64_t in, int64_t out) {
  return ((i + 1) * in + out - 1) / out;
}

// 2x2 windows, stride 2, no padding (the common SNN pooling): same candidates in the same
// order (row-major in the window, strict > so ties keep the first) as the general loop.
void maxpool2x2_forward(const float* x, int64_t planes, const Pool2dGeometry& g, float* y,
                        int32_t* argmax) {
  const int64_t ho = g.h_out(), wo = g.w_out();
#pragma omp parallel for schedule(static) if (planes * g.h * g.w > kParallelElems)
  for (int64_t pl = 0; pl < planes; ++pl) {
    const float* xp = x + pl * g.h * g.w;
    float* yp = y + pl * ho * wo;
    int32_t* ap = argmax ? argmax + pl * ho * wo : nullptr;
    for (int64_t i = 0; i < ho; ++i) {
      const float* r0 = xp + 2 * i * g.w;
      const float* r1 = r0 + g.w;
      const int32_t base = static_cast<int32_t>(2 * i * g.w);
      const int32_t w = static_cast<int32_t>(g.w);
      float* __restrict yr = yp + i * wo;
      int32_t* __restrict ar = ap ? ap + i * wo : nullptr;
      // Branch-free and vectorized (branches on random analog inputs mispredict; measured 10% of
      // a LIAF network's step). The argmax is found after the max: the general loop keeps the
      // first element that beat every earlier one, which is the first element equal to the max,
      // or the window's first element when the max stays -inf (all -inf or NaN).
      constexpr float kNegInf = -std::numeric_limits<float>::infinity();
      for (int64_t j = 0; j < wo; ++j) {
        const float a = r0[2 * j], b = r0[2 * j + 1], c = r1[2 * j], d = r1[2 * j + 1];
        float best = kNegInf;
        best = a > best ? a : best;
        best = b > best ? b : best;
        best = c > best ? c : best;
        best = d > best ? d : best;
        yr[j] = best;
        if (ar) {
          int32_t off = d == best ? w + 1 : 0;
          off = c == best ? w : off;
          off = b == best ? 1 : off;
          off = a == best ? 0 : off;
          off = best == kNegInf ? 0 : off;
          ar[j] = base + 2 * int32_t(j) + off;
        }
      }
    }
  }
}

}  // namespace

void maxpool2d_forward(const float* x, int64_t planes, const Pool2dGeometry& g, float* y,
                       int32_t* argmax) {
  if (g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.ph == 0 && g.pw == 0) {
    maxpool2x2_forward(x, planes, g, y, argmax);
    return;
  }
  const int64_t ho = g.h_out(), wo = g.w_out();
#pragma omp parallel for schedule(static) if (planes * g.h * g.w > kParallelElems)
  for (int64_t pl = 0; pl < planes; ++pl) {
    const float* xp = x + pl * g.h * g.w;
    float* yp = y + pl * ho * wo;
    int32_t* ap = argmax ? argmax + pl * ho * wo : nullptr;
    for (int64_t i = 0; i < ho; ++i) {
      const int64_t r0 = std::max<int64_t>(i * g.sh - g.ph, 0);
      const int64_t r1 = std::min<int64_t>(i * g.sh - g.ph + g.kh, g.h);
      for (int64_t j = 0; j < wo; ++j) {
        const int64_t c0 = std::max<int64_t>(j * g.sw - g.pw, 0);
        const int64_t c1 = std::min<int64_t>(j * g.sw - g.pw + g.kw, g.w);
        float best = -std::numeric_limits<float>::infinity();
        int64_t best_idx = r0 * g.w + c0;
        for (int64_t r = r0; r < r1; ++r)
          for (int64_t c = c0; c < c1; ++c)
            if (xp[r * g.w + c] > best) {  // strict: ties keep the first
              best = xp[r * g.w + c];
              best_idx = r * g.w + c;
            }
        yp[i * wo + j] = best;
        if (ap) ap[i * wo + j] = static_cast<int32_t>(best_idx);
      }
    }
  }
}

void maxpool2d_backward(const float* grad_y, const int32_t* argmax, int64_t planes,
                        const Pool2dGeometry& g, float* grad_x) {
  const int64_t ho = g.h_out(), wo = g.w_out(), in = g.h * g.w;
#pragma omp parallel for schedule(static) if (planes * in > kParallelElems)
  for (int64_t pl = 0; pl < planes; ++pl) {
    float* gx = grad_x + pl * in;
    std::fill(gx, gx + in, 0.f);
    const float* gy = grad_y + pl * ho * wo;
    const int32_t* ap = argmax + pl * ho * wo;
    for (int64_t k = 0; k < ho * wo; ++k) gx[ap[k]] += gy[k];
  }
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
