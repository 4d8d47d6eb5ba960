#include <catch2/catch.hpp>

#include <cmath>

#include "soma/core/threads.hpp"
#include "soma/ops/conv2d.hpp"
#include "soma/ops/sparse_conv2d.hpp"
#include "support/gradcheck.hpp"

using namespace soma;
using soma::testing::max_abs_diff;
using soma::testing::random_tensor;

namespace {

// n spikes (binary) or values in [-2, 2) at the given density.
Tensor spikes(int64_t n, double density, bool binary, uint64_t seed) {
  Tensor x = random_tensor(Shape{n}, seed, 0.f, 1.f);
  const Tensor v = random_tensor(Shape{n}, seed + 1, -2.f, 2.f);
  for (int64_t i = 0; i < n; ++i) x[i] = x[i] < density ? (binary ? 1.f : v[i]) : 0.f;
  return x;
}

Tensor values(int64_t n, uint64_t seed) { return random_tensor(Shape{n}, seed); }

Conv2dGeometry geom(int64_t c, int64_t h, int64_t w, int64_t o, int64_t k, int64_t s, int64_t p,
                    int64_t d = 1) {
  Conv2dGeometry g;
  g.c = c, g.h = h, g.w = w, g.o = o, g.kh = k, g.kw = k, g.sh = s, g.sw = s, g.ph = p, g.pw = p;
  g.dh = d, g.dw = d;
  return g;
}

}  // namespace

TEST_CASE("sparse pixel listing holds exactly the nonzeros, channels ascending", "[ops][sparse]") {
  // One image, 3 channels of 2x2: pixel 0 has channels 0 and 2, pixel 3 channel 1 (value 2.5).
  const std::vector<float> x{1, 0, 0, 0,  0, 0, 0, 2.5f,  4, 0, 0, 0};
  const Conv2dGeometry g = geom(3, 2, 2, 1, 1, 1, 0);
  SparsePixels s = sparse_pixels(x.data(), 1, g);
  REQUIRE(s.filled);
  CHECK(s.nnz == 3);
  CHECK(s.density() == Approx(0.25));
  CHECK(s.start[0] == 0);
  CHECK(s.start[1] == 2);
  CHECK(s.start[2] == 2);
  CHECK(s.start[3] == 2);
  CHECK(s.start[4] == 3);
  CHECK(s.slot[0] == 0);  // pixel 0 = (0, 0): slot = channel
  CHECK(s.slot[1] == 2);
  CHECK(s.value[1] == 4.f);
  CHECK(s.slot[2] == 1 * 3 + 1);  // pixel 3 = (1, 1): ix * C + c
  CHECK(s.value[2] == 2.5f);
  // Per plane: channel 0 has pixel 0, channel 1 pixel 3 (2.5), channel 2 pixel 0 (4).
  REQUIRE(s.planes);
  CHECK(s.plane_start[0] == 0);
  CHECK(s.plane_start[1] == 1);
  CHECK(s.plane_start[2] == 2);
  CHECK(s.plane_start[3] == 3);
  CHECK(s.plane_pixel[0] == 0);
  CHECK(s.plane_pixel[1] == 3);
  CHECK(s.plane_value[1] == 2.5f);
  CHECK(s.plane_pixel[2] == 0);
  CHECK(s.plane_value[2] == 4.f);
  CHECK_FALSE(sparse_pixels(x.data(), 1, g, 1.0, 0.2).planes);  // planes only up to 0.2
  SparsePixels skipped = sparse_pixels(x.data(), 1, g, 0.2);
  CHECK_FALSE(skipped.filled);
  CHECK(skipped.nnz == 3);
  CHECK(sampled_density(x.data(), 1, 12) == Approx(0.25));
  const std::vector<float> three{1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1};  // 3 images of 4
  CHECK(sampled_density(three.data(), 3, 4, 2) == Approx(2.0 / 8.0));  // images 0 and 1
  CHECK(sampled_density(three.data(), 3, 4) == Approx(6.0 / 12.0));
}

TEST_CASE("spike-aware conv2d equals the dense products", "[ops][sparse][conv2d]") {
  const std::vector<Conv2dGeometry> cases = {
      geom(5, 9, 8, 70, 3, 1, 1),     // the workloads' 3x3 padding 1; O = 64 + a tail of 6
      geom(4, 7, 7, 6, 3, 2, 1),      // stride 2, O below one block
      geom(3, 10, 9, 130, 5, 1, 0),   // 5x5 no padding, three blocks
      geom(6, 8, 8, 16, 3, 1, 2, 2),  // dilation 2
      geom(7, 5, 6, 9, 1, 1, 0),      // pointwise
  };
  const int64_t batch = 3;
  for (const auto& g : cases)
    for (const double density : {0.0, 0.05, 0.5, 1.0})
      for (const bool binary : {true, false}) {
        const int64_t in = batch * g.c * g.h * g.w, out = batch * g.o * g.h_out() * g.w_out();
        const auto x = spikes(in, density, binary, 11);
        const auto w = values(g.o * g.c * g.kh * g.kw, 12), b = values(g.o, 13);
        const auto gy = values(out, 14);
        Tensor y(Shape{out}), ys(Shape{out});
        conv2d_forward(x.data(), batch, g, w.data(), b.data(), y.data());
        SparsePixels s = sparse_pixels(x.data(), batch, g);
        REQUIRE(s.filled);
        conv2d_forward_sparse(s, g, w.data(), b.data(), ys.data());
        Tensor gw = values(w.numel(), 15), gws = gw.clone();  // both accumulate onto one start
        conv2d_backward(x.data(), gy.data(), batch, g, w.data(), nullptr, gw.data(), nullptr);
        conv2d_backward_weight_sparse(s, g, gy.data(), gws.data());
        // Without plane lists the stride-1 geometries take the scatter path: the same sums.
        Tensor gwp = values(w.numel(), 15);
        conv2d_backward_weight_sparse(sparse_pixels(x.data(), batch, g, 1.0, -1.0), g, gy.data(),
                                      gwp.data());
        const float k = float(g.c * g.kh * g.kw);
        INFO("c=" << g.c << " o=" << g.o << " k=" << g.kh << " s=" << g.sh << " p=" << g.ph
                  << " d=" << g.dh << " density=" << density << " binary=" << binary);
        CHECK(max_abs_diff(y, ys) < 1e-5f * std::sqrt(k) * 2.f);
        CHECK(max_abs_diff(gw, gws) < 1e-5f * std::sqrt(float(batch * g.h_out() * g.w_out())) * 2.f);
        CHECK(max_abs_diff(gw, gwp) < 1e-5f * std::sqrt(float(batch * g.h_out() * g.w_out())) * 2.f);
        if (density == 0.0) CHECK(max_abs_diff(y, ys) == 0.f);  // only the bias: exact
      }
}

TEST_CASE("spike-aware conv2d is bit-identical with 1 and 2 threads", "[ops][sparse][threads]") {
  const int saved = num_threads();
  const Conv2dGeometry g = geom(16, 12, 12, 80, 3, 1, 1);
  const int64_t batch = 11;  // 8 chunks of unequal size in the weight gradient
  const auto x = spikes(batch * g.c * g.h * g.w, 0.1, true, 21);
  const auto w = values(g.o * g.c * 9, 22), b = values(g.o, 23);
  const auto gy = values(batch * g.o * g.h * g.w, 24);
  auto run = [&](int threads) {
    set_num_threads(threads);
    SparsePixels s = sparse_pixels(x.data(), batch, g);
    Tensor y(Shape{batch * g.o * g.h * g.w}), gw(Shape{w.numel()});
    conv2d_forward_sparse(s, g, w.data(), b.data(), y.data());
    conv2d_backward_weight_sparse(s, g, gy.data(), gw.data());
    return std::pair{y, gw};
  };
  const auto one = run(1), two = run(2);
  set_num_threads(saved);
  CHECK(max_abs_diff(one.first, two.first) == 0.f);
  CHECK(max_abs_diff(one.second, two.second) == 0.f);
}
