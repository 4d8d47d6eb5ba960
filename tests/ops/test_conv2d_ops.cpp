#include <catch2/catch.hpp>

#include <vector>

#include "soma/core/rng.hpp"
#include "soma/core/threads.hpp"
#include "soma/ops/conv2d.hpp"
#include "soma/ops/pool.hpp"

using namespace soma;

namespace {

std::vector<float> rand_vec(int64_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> v(n);
  for (auto& x : v) x = rng.uniform(-1.f, 1.f);
  return v;
}

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
