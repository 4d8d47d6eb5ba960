#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "soma/core/rng.hpp"
#include "soma/ops/pool.hpp"

using namespace soma;

namespace {

// Naive window scan: candidates row-major, strict >, ties keep the first.
void naive_max(const std::vector<float>& x, int64_t planes, const Pool2dGeometry& g,
               std::vector<float>& y, std::vector<int32_t>& am) {
  const int64_t ho = g.h_out(), wo = g.w_out();
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t i = 0; i < ho; ++i)
      for (int64_t j = 0; j < wo; ++j) {
        float best = -std::numeric_limits<float>::infinity();
        int32_t idx = int32_t((i * g.sh) * g.w + j * g.sw);
        for (int64_t a = 0; a < g.kh; ++a)
          for (int64_t e = 0; e < g.kw; ++e) {
            const int64_t r = i * g.sh + a, c = j * g.sw + e;
            if (x[p * g.h * g.w + r * g.w + c] > best) {
              best = x[p * g.h * g.w + r * g.w + c];
              idx = int32_t(r * g.w + c);
            }
          }
        y[p * ho * wo + i * wo + j] = best;
        am[p * ho * wo + i * wo + j] = idx;
      }
}

}  // namespace

TEST_CASE("2x2 pooling fast paths match the window definition, ties included", "[ops][pool]") {
  Pool2dGeometry g;
  g.h = 6;
  g.w = 10;  // also odd sizes below
  g.kh = g.kw = g.sh = g.sw = 2;
  for (int64_t h : {6, 7}) {
    g.h = h;
    g.w = h + 3;
    const int64_t planes = 5, n = planes * g.h * g.w, m = planes * g.h_out() * g.w_out();
    Rng rng(3);
    std::vector<float> x(n);
    // Binary inputs (spikes) make ties everywhere; then analog values.
    // Rounds: binary, analog, and special values (NaN, -inf, ties of -inf) mixed in.
    for (int round = 0; round < 3; ++round) {
      for (auto& v : x) {
        v = round == 0 ? (rng.uniform(0.f, 1.f) < 0.3f ? 1.f : 0.f) : rng.uniform(-1.f, 1.f);
        if (round == 2) {
          const float u = rng.uniform(0.f, 1.f);
          if (u < 0.3f) v = -std::numeric_limits<float>::infinity();
          else if (u < 0.45f) v = std::numeric_limits<float>::quiet_NaN();
        }
      }
      std::vector<float> y(m), yr(m), ya(m);
      std::vector<int32_t> am(m), amr(m);
      maxpool2d_forward(x.data(), planes, g, y.data(), am.data());
      naive_max(x, planes, g, yr, amr);
      for (int64_t i = 0; i < m; ++i)
        REQUIRE((y[i] == yr[i] || (std::isnan(y[i]) && std::isnan(yr[i]))));
      CHECK(am == amr);
      if (round == 2) continue;  // averages of NaN need no check
      avgpool2d_forward(x.data(), planes, g, ya.data());
      for (int64_t p = 0; p < planes; ++p)
        for (int64_t i = 0; i < g.h_out(); ++i)
          for (int64_t j = 0; j < g.w_out(); ++j) {
            const float* r = x.data() + p * g.h * g.w + 2 * i * g.w + 2 * j;
            float s = 0.f;
            s += r[0];
            s += r[1];
            s += r[g.w];
            s += r[g.w + 1];
            REQUIRE(ya[(p * g.h_out() + i) * g.w_out() + j] == s * 0.25f);
          }
    }
  }
}

TEST_CASE("2x2 pooling backward equals fill-then-scatter, bit for bit (signed zeros too)",
          "[ops][pool]") {
  for (const int64_t h : {int64_t(6), int64_t(7)})
    for (const int64_t w : {int64_t(8), int64_t(9)}) {
      Pool2dGeometry g;
      g.h = h;
      g.w = w;
      g.kh = g.kw = g.sh = g.sw = 2;
      const int64_t planes = 4, n = planes * h * w, m = planes * g.h_out() * g.w_out();
      Rng rng(5);
      std::vector<float> x(n), gy(m);
      for (auto& v : x) v = rng.uniform(0.f, 1.f) < 0.3f ? 1.f : 0.f;  // spikes: ties
      for (auto& v : gy) v = rng.uniform(-1.f, 1.f);
      gy[0] = -0.f;  // a signed zero must come out as the fill-then-add gives it
      std::vector<float> y(m);
      std::vector<int32_t> am(m);
      maxpool2d_forward(x.data(), planes, g, y.data(), am.data());
      std::vector<float> gx(n, 5.f), ref(n, 0.f);
      maxpool2d_backward(gy.data(), am.data(), planes, g, gx.data());
      for (int64_t p = 0; p < planes; ++p)
        for (int64_t k = 0; k < g.h_out() * g.w_out(); ++k)
          ref[p * h * w + am[p * g.h_out() * g.w_out() + k]] += gy[p * g.h_out() * g.w_out() + k];
      INFO("h=" << h << " w=" << w);
      CHECK(std::memcmp(gx.data(), ref.data(), n * sizeof(float)) == 0);
      std::vector<float> ga(n, 5.f), refa(n, 0.f);
      avgpool2d_backward(gy.data(), planes, g, ga.data());
      for (int64_t p = 0; p < planes; ++p)
        for (int64_t i = 0; i < g.h_out(); ++i)
          for (int64_t j = 0; j < g.w_out(); ++j) {
            const float v = gy[(p * g.h_out() + i) * g.w_out() + j] * 0.25f;
            for (int64_t r = 2 * i; r < 2 * i + 2; ++r)
              for (int64_t c = 2 * j; c < 2 * j + 2; ++c) refa[p * h * w + r * w + c] += v;
          }
      CHECK(std::memcmp(ga.data(), refa.data(), n * sizeof(float)) == 0);
    }
}

namespace {

// The window offset of a plane index from naive_max (windows start at i*sh - ph, j*sw - pw).
std::vector<uint8_t> to_offsets(const std::vector<int32_t>& am, int64_t planes,
                                const Pool2dGeometry& g) {
  std::vector<uint8_t> off(am.size());
  const int64_t ho = g.h_out(), wo = g.w_out();
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t i = 0; i < ho; ++i)
      for (int64_t j = 0; j < wo; ++j) {
        const int64_t o = (p * ho + i) * wo + j, r = am[o] / g.w, c = am[o] % g.w;
        off[o] = uint8_t((r - (i * g.sh - g.ph)) * g.kw + (c - (j * g.sw - g.pw)));
      }
  return off;
}

}  // namespace

TEST_CASE("max pooling with 1-byte window offsets: same outputs and gradients as plane indices",
          "[ops][pool]") {
  struct Geo { int64_t h, w, kh, kw, sh, sw, ph, pw; };
  // 2x2 fast path: odd sizes, rows of 3, 16 and 37 windows (vector blocks and masked tails);
  // general windows: overlapping, padded, rectangular.
  const Geo geos[] = {{6, 8, 2, 2, 2, 2, 0, 0},   {7, 9, 2, 2, 2, 2, 0, 0},
                      {4, 32, 2, 2, 2, 2, 0, 0},  {5, 75, 2, 2, 2, 2, 0, 0},
                      {5, 5, 3, 3, 2, 2, 1, 1},   {6, 7, 3, 2, 1, 2, 1, 0},
                      {8, 8, 2, 2, 1, 1, 0, 0}};
  for (const Geo& e : geos)
    for (int round = 0; round < 3; ++round) {
      Pool2dGeometry g;
      g.h = e.h;
      g.w = e.w;
      g.kh = e.kh;
      g.kw = e.kw;
      g.sh = e.sh;
      g.sw = e.sw;
      g.ph = e.ph;
      g.pw = e.pw;
      const int64_t planes = 3, n = planes * g.h * g.w, m = planes * g.h_out() * g.w_out();
      Rng rng(7 + round);
      std::vector<float> x(n), gy(m);
      for (auto& v : x) {
        v = round == 0 ? (rng.uniform(0.f, 1.f) < 0.3f ? 1.f : 0.f) : rng.uniform(-1.f, 1.f);
        const float u = rng.uniform(0.f, 1.f);
        if (round == 2 && u < 0.3f) v = -std::numeric_limits<float>::infinity();
        if (round == 2 && u >= 0.3f && u < 0.45f) v = std::numeric_limits<float>::quiet_NaN();
      }
      for (auto& v : gy) v = rng.uniform(-1.f, 1.f);
      gy[0] = -0.f;
      std::vector<uint8_t> off(m, 99);
      std::vector<float> y8(m, 3.f), y32(m);
      std::vector<int32_t> am(m);
      maxpool2d_forward(x.data(), planes, g, y8.data(), off.data());
      maxpool2d_forward(x.data(), planes, g, y32.data(), am.data());
      INFO("h=" << g.h << " w=" << g.w << " k=" << g.kh << "x" << g.kw << " round " << round);
      // Reference: the naive scan (no padding), else the int32 kernel's general loop.
      std::vector<float> yr = y32;
      std::vector<int32_t> amr = am;
      if (g.ph == 0 && g.pw == 0) naive_max(x, planes, g, yr, amr);
      for (int64_t i = 0; i < m; ++i)
        REQUIRE((y8[i] == yr[i] || (std::isnan(y8[i]) && std::isnan(yr[i]))));
      CHECK(off == to_offsets(amr, planes, g));
      // Gradients: from the offsets, from the int32 indices, and fill-then-scatter by hand.
      std::vector<float> ref(n, 0.f);
      for (int64_t p = 0; p < planes; ++p)
        for (int64_t k = 0; k < g.h_out() * g.w_out(); ++k)
          ref[p * g.h * g.w + am[p * g.h_out() * g.w_out() + k]] +=
              gy[p * g.h_out() * g.w_out() + k];
      CHECK(to_offsets(am, planes, g) == off);
      std::vector<float> gx8(n, 5.f), gx32(n, 5.f);
      maxpool2d_backward(gy.data(), off.data(), planes, g, gx8.data());
      maxpool2d_backward(gy.data(), am.data(), planes, g, gx32.data());
      CHECK(std::memcmp(gx8.data(), ref.data(), n * sizeof(float)) == 0);
      CHECK(std::memcmp(gx32.data(), ref.data(), n * sizeof(float)) == 0);
      std::vector<float> y0(m);
      maxpool2d_forward(x.data(), planes, g, y0.data(), static_cast<uint8_t*>(nullptr));
      CHECK(std::memcmp(y0.data(), y8.data(), m * sizeof(float)) == 0);
    }
}
