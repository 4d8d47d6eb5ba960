#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <vector>

#include "soma/core/rng.hpp"
#include "soma/core/threads.hpp"
#include "soma/ops/conv2d.hpp"
#include "soma/ops/gemm.hpp"
#include "soma/ops/pool.hpp"

#include "support/random_data.hpp"

using namespace soma;
using soma::testing::rand_vec;

namespace {

// Direct convolution, straight from the definition, in double.
std::vector<float> naive_conv(const std::vector<float>& x, int64_t batch, const Conv2dGeometry& g,
                              const std::vector<float>& w, const std::vector<float>& b) {
  const int64_t ho = g.h_out(), wo = g.w_out(), cg = g.c / g.groups, og = g.o / g.groups;
  std::vector<float> y(batch * g.o * ho * wo);
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t o = 0; o < g.o; ++o)
      for (int64_t i = 0; i < ho; ++i)
        for (int64_t j = 0; j < wo; ++j) {
          double s = b.empty() ? 0.0 : b[o];
          const int64_t grp = o / og;
          for (int64_t c = 0; c < cg; ++c)
            for (int64_t a = 0; a < g.kh; ++a)
              for (int64_t e = 0; e < g.kw; ++e) {
                const int64_t ih = i * g.sh - g.ph + a * g.dh, iw = j * g.sw - g.pw + e * g.dw;
                if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
                s += double(w[((o * cg + c) * g.kh + a) * g.kw + e]) *
                     x[((n * g.c + grp * cg + c) * g.h + ih) * g.w + iw];
              }
          y[((n * g.o + o) * ho + i) * wo + j] = static_cast<float>(s);
        }
  return y;
}

Conv2dGeometry geom(int64_t c, int64_t h, int64_t w, int64_t o, int64_t kh, int64_t kw,
                    int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw,
                    int64_t groups) {
  Conv2dGeometry g;
  g.c = c, g.h = h, g.w = w, g.o = o, g.kh = kh, g.kw = kw, g.sh = sh, g.sw = sw;
  g.ph = ph, g.pw = pw, g.dh = dh, g.dw = dw, g.groups = groups;
  return g;
}

}  // namespace

TEST_CASE("conv2d forward equals a direct convolution", "[ops][conv2d]") {
  const std::vector<Conv2dGeometry> cases = {
      geom(3, 7, 6, 4, 3, 3, 1, 1, 0, 0, 1, 1, 1),   // plain
      geom(3, 7, 6, 4, 3, 3, 2, 2, 1, 1, 1, 1, 1),   // stride + padding
      geom(2, 9, 8, 3, 3, 3, 1, 1, 2, 2, 2, 2, 1),   // dilation + padding
      geom(4, 6, 6, 6, 3, 3, 1, 1, 1, 1, 1, 1, 2),   // groups
      geom(4, 6, 5, 4, 3, 3, 2, 1, 1, 1, 1, 1, 4),   // depthwise
      geom(3, 8, 7, 5, 3, 2, 2, 1, 1, 0, 1, 2, 1),   // rectangular everything
      geom(5, 4, 4, 3, 1, 1, 1, 1, 0, 0, 1, 1, 1),   // pointwise (no im2col)
      geom(2, 5, 5, 2, 5, 5, 1, 1, 0, 0, 1, 1, 1),   // kernel = image
  };
  for (const auto& g : cases) {
    const int64_t batch = 3;
    auto x = rand_vec(batch * g.c * g.h * g.w, 1);
    auto w = rand_vec(g.o * g.k_group(), 2);
    auto b = rand_vec(g.o, 3);
    std::vector<float> y(batch * g.o * g.h_out() * g.w_out());
    for (bool with_bias : {true, false}) {
      conv2d_forward(x.data(), batch, g, w.data(), with_bias ? b.data() : nullptr, y.data());
      auto ref = naive_conv(x, batch, g, w, with_bias ? b : std::vector<float>{});
      float err = 0.f;
      for (size_t i = 0; i < y.size(); ++i) err = std::max(err, std::fabs(y[i] - ref[i]));
      INFO("c=" << g.c << " k=" << g.kh << "x" << g.kw << " s=" << g.sh << "," << g.sw
                << " p=" << g.ph << "," << g.pw << " d=" << g.dh << "," << g.dw
                << " groups=" << g.groups);
      CHECK(err < 1e-5f);
    }
  }
}

TEST_CASE("col2im is the adjoint of im2col", "[ops][conv2d]") {
  const Conv2dGeometry g = geom(2, 7, 6, 1, 3, 2, 2, 1, 1, 1, 2, 1, 1);
  const int64_t rows = g.c * g.kh * g.kw, p = g.h_out() * g.w_out();
  auto x = rand_vec(g.c * g.h * g.w, 4), col = rand_vec(rows * p, 5);
  std::vector<float> cx(rows * p), xt(g.c * g.h * g.w, 0.f);
  im2col(x.data(), g, cx.data());
  col2im_add(col.data(), g, xt.data());
  double lhs = 0.0, rhs = 0.0;  // <im2col(x), col> == <x, col2im(col)>
  for (int64_t i = 0; i < rows * p; ++i) lhs += double(cx[i]) * col[i];
  for (size_t i = 0; i < x.size(); ++i) rhs += double(x[i]) * xt[i];
  CHECK(lhs == Approx(rhs).epsilon(1e-5));
}

TEST_CASE("adaptive average pooling uses PyTorch's floor/ceil bins", "[ops][pool]") {
  // H = 5 -> 3 bins: [0,2), [1,4), [3,5); W = 1.
  std::vector<float> x{1, 2, 3, 4, 5}, y(3);
  adaptive_avgpool2d_forward(x.data(), 1, 5, 1, 3, 1, y.data());
  CHECK(y[0] == Approx(1.5f));
  CHECK(y[1] == Approx(3.f));
  CHECK(y[2] == Approx(4.5f));
}

TEST_CASE("max pooling picks the first maximum and routes the gradient there", "[ops][pool]") {
  Pool2dGeometry g;
  g.h = 2, g.w = 4, g.kh = 2, g.kw = 2, g.sh = 2, g.sw = 2;
  std::vector<float> x{1, 5, 7, 7, 2, 3, 0, 1}, y(2), gx(8);
  std::vector<int32_t> arg(2);
  maxpool2d_forward(x.data(), 1, g, y.data(), arg.data());
  CHECK(y[0] == 5.f);
  CHECK(y[1] == 7.f);
  CHECK(arg[1] == 2);  // tie between x[2] and x[3]: the first
  std::vector<float> gy{10.f, 20.f};
  maxpool2d_backward(gy.data(), arg.data(), 1, g, gx.data());
  CHECK(gx == std::vector<float>{0, 10, 20, 0, 0, 0, 0, 0});
}

namespace {

// The backward from the definition, in double: grad_w, grad_x of sum(grad_y * conv(x, w)).
void naive_conv_backward(const std::vector<float>& x, const std::vector<float>& gy, int64_t batch,
                         const Conv2dGeometry& g, const std::vector<float>& w,
                         std::vector<double>& gx, std::vector<double>& gw) {
  const int64_t ho = g.h_out(), wo = g.w_out(), cg = g.c / g.groups, og = g.o / g.groups;
  gx.assign(x.size(), 0.0);
  gw.assign(w.size(), 0.0);
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t o = 0; o < g.o; ++o)
      for (int64_t i = 0; i < ho; ++i)
        for (int64_t j = 0; j < wo; ++j) {
          const double gv = gy[((n * g.o + o) * ho + i) * wo + j];
          const int64_t grp = o / og;
          for (int64_t c = 0; c < cg; ++c)
            for (int64_t a = 0; a < g.kh; ++a)
              for (int64_t e = 0; e < g.kw; ++e) {
                const int64_t ih = i * g.sh - g.ph + a * g.dh, iw = j * g.sw - g.pw + e * g.dw;
                if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
                const int64_t wi = ((o * cg + c) * g.kh + a) * g.kw + e;
                const int64_t xi = ((n * g.c + grp * cg + c) * g.h + ih) * g.w + iw;
                gw[wi] += gv * x[xi];
                gx[xi] += gv * w[wi];
              }
        }
}

}  // namespace

TEST_CASE("conv2d tiles (row bands, image groups) give the definition's results",
          "[ops][conv2d][tiles]") {
  const std::vector<Conv2dGeometry> cases = {
      geom(3, 9, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1),  // padded 3x3
      geom(4, 7, 9, 6, 3, 3, 2, 1, 1, 0, 1, 1, 2),  // stride, groups
      geom(5, 6, 6, 3, 1, 1, 1, 1, 0, 0, 1, 1, 1),  // pointwise
      geom(2, 7, 6, 3, 5, 5, 1, 1, 2, 2, 1, 1, 1),  // 5x5 "same": flat im2col, 2 pad columns
      geom(2, 8, 7, 3, 3, 3, 1, 1, 2, 2, 2, 2, 1),  // dilated "same"
      // Direct convolution (K <= 28, rows >= 16 wide) for y:
      geom(2, 6, 20, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1),  // a 20-wide row: one 64-block with a tail
      geom(3, 5, 70, 6, 3, 3, 1, 1, 0, 0, 1, 1, 1),  // no padding, 68 wide: two 64-blocks
      geom(1, 7, 18, 3, 5, 5, 1, 1, 2, 2, 1, 1, 1),  // K = 25
      geom(2, 6, 19, 9, 3, 3, 1, 1, 2, 2, 2, 2, 1),  // dilation; O = 9 (a partial block)
  };
  const int64_t batch = 5;
  for (const auto& g : cases) {
    const int64_t k_bytes = g.c * g.kh * g.kw * 4;
    const int64_t p = g.h_out() * g.w_out();
    // 1 row per tile, 2 rows per tile, 2 images per tile, all images in one tile.
    for (const int64_t tile : {k_bytes, 2 * k_bytes * g.w_out(), 2 * k_bytes * p, kConvTileBytes}) {
      const ConvTiling t = conv2d_tiling(g, batch, tile);
      if (!g.is_pointwise() && tile == k_bytes) CHECK((t.images == 1 && t.rows == 1));
      if (!g.is_pointwise() && tile == 2 * k_bytes * p && p < 128) CHECK(t.images == 2);
      auto x = rand_vec(batch * g.c * g.h * g.w, 1), w = rand_vec(g.o * g.k_group(), 2);
      auto b = rand_vec(g.o, 3), gy = rand_vec(batch * g.o * p, 4);
      std::vector<float> y(batch * g.o * p), gx(x.size(), 7.f), gw(w.size(), 0.5f), gb(g.o, 0.f);
      conv2d_forward(x.data(), batch, g, w.data(), b.data(), y.data(), tile);
      conv2d_backward(x.data(), gy.data(), batch, g, w.data(), gx.data(), gw.data(), gb.data(),
                      tile);
      const auto ref = naive_conv(x, batch, g, w, b);
      std::vector<double> rgx, rgw;
      naive_conv_backward(x, gy, batch, g, w, rgx, rgw);
      float ey = 0.f, egx = 0.f, egw = 0.f;
      for (size_t i = 0; i < y.size(); ++i) ey = std::max(ey, std::fabs(y[i] - ref[i]));
      for (size_t i = 0; i < gx.size(); ++i) egx = std::max(egx, float(std::fabs(gx[i] - rgx[i])));
      for (size_t i = 0; i < gw.size(); ++i)
        egw = std::max(egw, float(std::fabs(gw[i] - 0.5 - rgw[i])));
      INFO("c=" << g.c << " k=" << g.kh << " w=" << g.w << " tile=" << tile << " images="
                << t.images << " rows=" << t.rows << " direct=" << conv2d_direct_applies(g));
      CHECK(ey < 1e-5f);
      CHECK(egx < 1e-5f);
      CHECK(egw < 1e-4f);
    }
  }
}

TEST_CASE("conv2d direct path applies to small kernel volumes only", "[ops][conv2d]") {
  CHECK(conv2d_direct_applies(geom(2, 64, 64, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1)));  // gesture conv1
  CHECK(conv2d_direct_applies(geom(3, 32, 32, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1)));  // RGB, K = 27
  CHECK_FALSE(conv2d_direct_applies(geom(4, 32, 32, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1)));  // K = 36
  CHECK_FALSE(conv2d_direct_applies(geom(2, 32, 32, 64, 3, 3, 2, 2, 1, 1, 1, 1, 1)));  // stride
  CHECK_FALSE(conv2d_direct_applies(geom(2, 8, 8, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1)));  // narrow
}

TEST_CASE("conv2d direct path is bit-identical with 1 and 2 threads", "[ops][conv2d][threads]") {
  const Conv2dGeometry g = geom(2, 9, 33, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1);
  REQUIRE(conv2d_direct_applies(g));
  const int64_t batch = 11, p = g.h_out() * g.w_out();
  auto x = rand_vec(batch * g.c * g.h * g.w, 5), w = rand_vec(g.o * g.k_group(), 6);
  auto b = rand_vec(g.o, 8), gy = rand_vec(batch * g.o * p, 7);
  const int saved = num_threads();
  std::vector<std::vector<float>> runs;
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    std::vector<float> y(batch * g.o * p), gw(w.size(), 0.f);
    conv2d_forward(x.data(), batch, g, w.data(), b.data(), y.data());
    conv2d_backward(x.data(), gy.data(), batch, g, w.data(), nullptr, gw.data(), nullptr);
    y.insert(y.end(), gw.begin(), gw.end());
    runs.push_back(y);
  }
  set_num_threads(saved);
  CHECK(runs[0] == runs[1]);
}

TEST_CASE("conv2d tiles are bit-identical with 1 and 2 threads", "[ops][conv2d][threads]") {
  const Conv2dGeometry g = geom(6, 12, 12, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1);
  const int64_t batch = 11, p = g.h_out() * g.w_out();
  auto x = rand_vec(batch * g.c * g.h * g.w, 5), w = rand_vec(g.o * g.k_group(), 6);
  auto gy = rand_vec(batch * g.o * p, 7);
  const int saved = num_threads();
  for (const int64_t tile : {int64_t(6 * 9 * 4 * 12 * 3), int64_t(6 * 9 * 4 * p * 3)}) {
    std::vector<std::vector<float>> runs;
    for (int threads : {1, 2}) {
      set_num_threads(threads);
      std::vector<float> y(batch * g.o * p), gx(x.size()), gw(w.size(), 0.f);
      conv2d_forward(x.data(), batch, g, w.data(), nullptr, y.data(), tile);
      conv2d_backward(x.data(), gy.data(), batch, g, w.data(), gx.data(), gw.data(), nullptr, tile);
      y.insert(y.end(), gx.begin(), gx.end());
      y.insert(y.end(), gw.begin(), gw.end());
      runs.push_back(y);
    }
    CHECK(runs[0] == runs[1]);
  }
  set_num_threads(saved);
}

TEST_CASE("conv2d input gradient is bit-identical to gemm + col2im_add", "[ops][conv2d]") {
  // The backward adds its (overwritable) col matrix in contiguous runs with the padding
  // entries zeroed; the public col2im_add adds row by row. Same sums, same bits.
  for (const auto& g : {geom(3, 9, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1),
                        geom(2, 7, 6, 3, 5, 5, 1, 1, 2, 2, 1, 1, 1)}) {
    const int64_t batch = 2, p = g.h_out() * g.w_out(), k = g.k_group();
    REQUIRE(conv2d_tiling(g, batch).rows == g.h_out());  // one tile per image
    auto w = rand_vec(g.o * k, 2), gy = rand_vec(batch * g.o * p, 4);
    std::vector<float> gx(batch * g.c * g.h * g.w), ref(gx.size(), 0.f), col(k * p);
    conv2d_backward(nullptr, gy.data(), batch, g, w.data(), gx.data(), nullptr, nullptr);
    for (int64_t n = 0; n < batch; ++n) {
      gemm(true, false, k, p, g.o, 1.f, w.data(), k, gy.data() + n * g.o * p, p, 0.f, col.data(), p);
      col2im_add(col.data(), g, ref.data() + n * g.c * g.h * g.w);
    }
    CHECK(std::memcmp(gx.data(), ref.data(), sizeof(float) * gx.size()) == 0);
  }
}
