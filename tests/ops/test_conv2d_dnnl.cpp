// The oneDNN convolution path (ops/conv2d_dnnl.hpp) against a direct convolution in double and
// against soma's own im2col + GEMM path, on geometries that exercise its chunking (a short final
// chunk), strides, dilation, padding and 1x1 kernels; and its thread-count invariance.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <string_view>
#include <vector>

#include "soma/core/rng.hpp"
#include "soma/core/threads.hpp"
#include "soma/ops/conv2d.hpp"
#include "soma/ops/conv2d_dnnl.hpp"
#include "soma/ops/gemm.hpp"

#include "support/random_data.hpp"

using namespace soma;
using soma::testing::rand_vec;

namespace {

Conv2dGeometry geom(int64_t c, int64_t h, int64_t w, int64_t o, int64_t k, int64_t s, int64_t p,
                    int64_t d) {
  Conv2dGeometry g;
  g.c = c, g.h = h, g.w = w, g.o = o, g.kh = k, g.kw = k, g.sh = s, g.sw = s;
  g.ph = p, g.pw = p, g.dh = d, g.dw = d;
  return g;
}

// y from the definition, in double.
std::vector<float> naive_conv(const std::vector<float>& x, int64_t batch, const Conv2dGeometry& g,
                              const std::vector<float>& w, const std::vector<float>& b) {
  const int64_t ho = g.h_out(), wo = g.w_out();
  std::vector<float> y(batch * g.o * ho * wo);
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t o = 0; o < g.o; ++o)
      for (int64_t i = 0; i < ho; ++i)
        for (int64_t j = 0; j < wo; ++j) {
          double s = b[o];
          for (int64_t c = 0; c < g.c; ++c)
            for (int64_t a = 0; a < g.kh; ++a)
              for (int64_t e = 0; e < g.kw; ++e) {
                const int64_t ih = i * g.sh - g.ph + a * g.dh, iw = j * g.sw - g.pw + e * g.dw;
                if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
                s += double(w[((o * g.c + c) * g.kh + a) * g.kw + e]) *
                     x[((n * g.c + c) * g.h + ih) * g.w + iw];
              }
          y[((n * g.o + o) * ho + i) * wo + j] = static_cast<float>(s);
        }
  return y;
}

float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  float e = 0.f;
  for (size_t i = 0; i < a.size(); ++i) e = std::max(e, std::fabs(a[i] - b[i]));
  return e;
}

struct Grads {
  std::vector<float> y, gx, gw, gb;
};

// Forward and full backward; the weight and bias gradients start at 0.5 (they accumulate).
Grads run(const Conv2dGeometry& g, int64_t batch) {
  const auto x = rand_vec(batch * g.c * g.h * g.w, 11), w = rand_vec(g.o * g.c * g.kh * g.kw, 12);
  const auto b = rand_vec(g.o, 13), gy = rand_vec(batch * g.o * g.h_out() * g.w_out(), 14);
  Grads r;
  r.y.resize(gy.size());
  r.gx.assign(x.size(), 7.f);  // overwritten
  r.gw.assign(w.size(), 0.5f);
  r.gb.assign(b.size(), 0.5f);
  conv2d_forward(x.data(), batch, g, w.data(), b.data(), r.y.data());
  conv2d_backward(x.data(), gy.data(), batch, g, w.data(), r.gx.data(), r.gw.data(), r.gb.data());
  return r;
}

const bool kHaveDnnl = std::string_view(gemm_backend()) == "onednn";

// Restores the path choice at the end of a test.
struct DnnlSwitch {
  bool saved = conv2d_dnnl_enabled();
  ~DnnlSwitch() { conv2d_set_dnnl_enabled(saved); }
};

}  // namespace

TEST_CASE("oneDNN convolution equals the definition and the GEMM path", "[ops][conv2d]") {
  if (!kHaveDnnl) {
    WARN("built without oneDNN: nothing to test");
    return;
  }
  DnnlSwitch restore;
  // Batch 37: chunks of 16 images and a final chunk of 5 (the small images fit 16 per chunk).
  const int64_t batch = 37;
  const std::vector<Conv2dGeometry> cases = {
      geom(16, 9, 9, 32, 3, 1, 1, 1),    // 3x3 "same"
      geom(32, 12, 12, 16, 3, 2, 1, 1),  // stride 2
      geom(16, 11, 11, 16, 3, 1, 2, 2),  // dilation 2
      geom(16, 8, 8, 32, 1, 1, 0, 1),    // pointwise
      geom(16, 10, 10, 16, 3, 2, 0, 1),  // stride 2, no padding: the last input row is unused
  };
  for (Conv2dGeometry g : cases) {
    g.w += 3;  // rectangular images
    INFO("c=" << g.c << " o=" << g.o << " " << g.h << "x" << g.w << " k=" << g.kh
              << " s=" << g.sh << " p=" << g.ph << " d=" << g.dh);
    conv2d_set_dnnl_enabled(true);
    REQUIRE(conv2d_dnnl_applies(g));
    const Grads d = run(g, batch);
    conv2d_set_dnnl_enabled(false);
    REQUIRE_FALSE(conv2d_dnnl_applies(g));
    const Grads m = run(g, batch);

    const auto x = rand_vec(batch * g.c * g.h * g.w, 11), w = rand_vec(g.o * g.c * g.kh * g.kw, 12);
    const auto b = rand_vec(g.o, 13);
    // oneDNN has a kernel for it (else the dispatch would have fallen back to GEMM).
    std::vector<float> y(d.y.size());
    CHECK(conv2d_forward_dnnl(x.data(), batch, g, w.data(), b.data(), y.data()));
    CHECK(y == d.y);
    CHECK(max_abs_diff(d.y, naive_conv(x, batch, g, w, b)) < 1e-4f);
    CHECK(max_abs_diff(d.y, m.y) < 1e-4f);
    CHECK(max_abs_diff(d.gx, m.gx) < 1e-4f);
    // Sums over 37 images of up to 130 pixels: a looser absolute bound.
    CHECK(max_abs_diff(d.gw, m.gw) < 2e-3f);
    CHECK(max_abs_diff(d.gb, m.gb) == 0.f);  // the bias gradient is soma's in both paths
  }
}

TEST_CASE("First layers (C < 16) take oneDNN's weight gradient only", "[ops][conv2d]") {
  if (!kHaveDnnl) {
    WARN("built without oneDNN: nothing to test");
    return;
  }
  DnnlSwitch restore;
  for (const Conv2dGeometry& g : {geom(1, 28, 28, 32, 3, 1, 1, 1), geom(2, 20, 24, 16, 3, 1, 1, 1),
                                  geom(3, 17, 17, 16, 3, 2, 1, 1)}) {
    INFO("c=" << g.c << " " << g.h << "x" << g.w << " s=" << g.sh);
    conv2d_set_dnnl_enabled(true);
    CHECK_FALSE(conv2d_dnnl_applies(g));
    REQUIRE(conv2d_dnnl_weight_grad_applies(g));
    const Grads d = run(g, 21);
    conv2d_set_dnnl_enabled(false);
    REQUIRE_FALSE(conv2d_dnnl_weight_grad_applies(g));
    const Grads m = run(g, 21);
    CHECK(d.y == m.y);    // the forward is soma's in both runs
    CHECK(d.gx == m.gx);  // so is the input gradient
    CHECK(max_abs_diff(d.gw, m.gw) < 2e-3f);
    CHECK(max_abs_diff(d.gw, m.gw) > 0.f);  // oneDNN did compute it (another summation order)
  }
}

TEST_CASE("oneDNN convolution gives the same bits on 1 and 2 threads", "[ops][conv2d]") {
  if (!kHaveDnnl) {
    WARN("built without oneDNN: nothing to test");
    return;
  }
  DnnlSwitch restore;
  conv2d_set_dnnl_enabled(true);
  const Conv2dGeometry g = geom(32, 16, 16, 32, 3, 1, 1, 1);
  const int64_t batch = 45;  // 3 weight-gradient groups of unequal size
  set_num_threads(1);
  const Grads one = run(g, batch);
  set_num_threads(2);
  const Grads two = run(g, batch);
  set_num_threads(1);
  auto same = [](const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
  };
  CHECK(same(one.y, two.y));
  CHECK(same(one.gx, two.gx));
  CHECK(same(one.gw, two.gw));
}

TEST_CASE("SOMA_CONV=gemm, groups and channel counts off the 16-grid keep soma's paths", "[ops][conv2d]") {
  DnnlSwitch restore;
  conv2d_set_dnnl_enabled(true);
  Conv2dGeometry grouped = geom(32, 8, 8, 32, 3, 1, 1, 1);
  grouped.groups = 2;
  CHECK_FALSE(conv2d_dnnl_applies(grouped));
  CHECK_FALSE(conv2d_dnnl_applies(geom(2, 8, 8, 32, 3, 1, 1, 1)));   // event frames: C = 2
  CHECK(conv2d_dnnl_weight_grad_applies(geom(2, 8, 8, 32, 3, 1, 1, 1)) == kHaveDnnl);
  CHECK_FALSE(conv2d_dnnl_applies(geom(32, 8, 8, 10, 3, 1, 1, 1)));  // O = 10
  CHECK_FALSE(conv2d_dnnl_weight_grad_applies(geom(24, 8, 8, 32, 3, 1, 1, 1)));  // C = 24
  CHECK(conv2d_dnnl_applies(geom(32, 8, 8, 16, 3, 1, 1, 1)) == kHaveDnnl);
  conv2d_set_dnnl_enabled(false);
  CHECK_FALSE(conv2d_dnnl_applies(geom(32, 8, 8, 16, 3, 1, 1, 1)));
}
