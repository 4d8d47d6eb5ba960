#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "layers/stateless_util.hpp"
#include "soma/core/rng.hpp"
#include "soma/core/threads.hpp"
#include "soma/layers/conv2d.hpp"
#include "support/gradcheck.hpp"

using namespace soma;
using namespace soma::testing;

TEST_CASE("conv2d gradients match finite differences", "[layers][conv2d][grad]") {
  struct Case { const char* yaml; Shape in; };
  const Case cases[] = {
      {"{type: conv2d, out_channels: 3, kernel: 3, padding: 1}", Shape{2, 5, 5}},
      {"{type: conv2d, out_channels: 2, kernel: [3, 2], stride: [2, 1], padding: [1, 0]}", Shape{2, 6, 5}},
      {"{type: conv2d, out_channels: 4, kernel: 3, dilation: 2, padding: 2, bias: false}", Shape{1, 6, 6}},
      {"{type: conv2d, out_channels: 4, kernel: 3, groups: 2, stride: 2}", Shape{4, 7, 7}},
      {"{type: conv2d, out_channels: 3, kernel: 1}", Shape{2, 4, 3}},
      // The spike-aware path, on inputs that are 2/3 zeros (the perturbed coordinates change
      // the listing).
      {"{type: conv2d, out_channels: 3, kernel: 3, padding: 1, sparse: always}", Shape{2, 5, 5}},
      {"{type: conv2d, out_channels: 2, kernel: [3, 2], stride: [2, 1], padding: [1, 0], sparse: always}", Shape{2, 6, 5}},
      {"{type: conv2d, out_channels: 4, kernel: 3, dilation: 2, padding: 2, bias: false, sparse: always}", Shape{1, 6, 6}},
  };
  for (const auto& c : cases) {
    INFO(c.yaml);
    auto layer = build_layer(c.yaml, {c.in});
    BoundLayer b = bind_for_test(*layer);
    GradCheckOptions opt;
    opt.max_coords = 40;
    const bool sparse = std::string(c.yaml).find("always") != std::string::npos;
    Tensor x = random_tensor(c.in.prepend({2, 2}), 5);
    for (int64_t i = 0; i < x.numel(); ++i)
      if (sparse && i % 3 != 0) x[i] = 0.f;
    CHECK(check_gradients(*layer, b, x, opt) == 0);
    CHECK(static_cast<Conv2dLayer&>(*layer).last_forward_sparse() == sparse);
  }
}

TEST_CASE("conv2d output shape, synaptic ops and shape errors", "[layers][conv2d]") {
  auto layer = build_layer("{type: conv2d, out_channels: 8, kernel: 3, stride: 2, padding: 1}",
                           {Shape{3, 32, 31}});
  CHECK(layer->output_shape(Shape{3, 32, 31}) == Shape({8, 16, 16}));
  CHECK(layer->synaptic_ops_per_step(Shape{3, 32, 31}) == 8 * 16 * 16 * 27);
  CHECK(layer->type() == "conv2d");
  CHECK_THROWS_AS(layer->output_shape(Shape{4, 32, 32}), ShapeError);  // wrong channels
  CHECK_THROWS_AS(layer->output_shape(Shape{3 * 32 * 32}), ShapeError);
  CHECK_THROWS_AS(build_layer("{type: conv2d, out_channels: 2, kernel: 5}", {Shape{1, 3, 3}}), ShapeError);
  CHECK_THROWS_AS(build_layer("{type: conv2d, out_channels: 2, kernel: 3}", {Shape{12}}), ShapeError);
  CHECK_THROWS_AS(build_layer("{type: conv2d, out_channels: 4, kernel: 3, groups: 2}", {Shape{3, 8, 8}}), ShapeError);
  CHECK_THROWS_AS(build_layer("{type: conv2d, out_channels: 3, kernel: 3, groups: 2}", {Shape{4, 8, 8}}), ConfigError);
  CHECK_THROWS_AS(build_layer("{type: conv2d, out_channels: 2, kernel: 0}", {Shape{1, 8, 8}}), ConfigError);
  CHECK_THROWS_AS(build_layer("{type: conv2d, out_channels: 2, kernel: 3, stride: 0}", {Shape{1, 8, 8}}), ConfigError);
  CHECK_THROWS_AS(build_layer("{type: conv2d, out_channels: 2, kernel: 3, padding: -1}", {Shape{1, 8, 8}}), ConfigError);
  CHECK_THROWS_AS(build_layer("{type: conv2d, out_channels: 2}", {Shape{1, 8, 8}}), ConfigError);
}

TEST_CASE("conv2d is bit-identical with 1 and 2 threads", "[layers][conv2d][threads]") {
  const int saved = num_threads();
  auto layer = build_layer("{type: conv2d, out_channels: 16, kernel: 3, padding: 1}", {Shape{8, 16, 16}});
  BoundLayer b = bind_for_test(*layer);
  Tensor x = random_tensor(Shape{3, 5, 8, 16, 16}, 3);
  Tensor gy = random_tensor(Shape{3, 5, 16, 16, 16}, 4);
  RunContext ctx;
  Tensor y[2], gx[2], gw[2], gb[2];
  for (int k = 0; k < 2; ++k) {
    set_num_threads(k + 1);
    b.params[0].grad.zero();
    b.params[1].grad.zero();
    y[k] = layer->forward(x, ctx);
    gx[k] = layer->backward(gy, ctx);
    gw[k] = b.params[0].grad.clone();
    gb[k] = b.params[1].grad.clone();
  }
  set_num_threads(saved);
  CHECK(max_abs_diff(y[0], y[1]) == 0.f);
  CHECK(max_abs_diff(gx[0], gx[1]) == 0.f);
  CHECK(max_abs_diff(gw[0], gw[1]) == 0.f);
  CHECK(max_abs_diff(gb[0], gb[1]) == 0.f);
}

TEST_CASE("conv2d backward needs a training forward", "[layers][conv2d]") {
  auto layer = build_layer("{type: conv2d, out_channels: 2, kernel: 3}", {Shape{1, 5, 5}});
  bind_for_test(*layer);
  RunContext ctx;
  ctx.phase = Phase::kEval;
  Tensor y = layer->forward(random_tensor(Shape{2, 2, 1, 5, 5}, 1), ctx);
  CHECK_THROWS_AS(layer->backward(y, ctx), Error);
}

namespace {
// Binary spikes at the given density.
Tensor spike_tensor(const Shape& shape, double density, uint64_t seed) {
  Tensor x(shape);
  Rng rng(seed);
  for (int64_t i = 0; i < x.numel(); ++i) x[i] = rng.uniform(0.f, 1.f) < density ? 1.f : 0.f;
  return x;
}
}  // namespace

TEST_CASE("conv2d picks the spike-aware path by density; both paths agree", "[layers][conv2d][sparse]") {
  // Spikes at density 0.05 and 0.15 (auto: sparse forward and weight gradient, plane path) and
  // 0.6 (dense); analog sparse values; `always` and `never` force one path. auto's minimum of
  // input channels.
  const Shape per_step{kSparseConvMinChannels, 6, 5};
  const int64_t t = 8, n = 2;
  for (const double nominal : {0.05, 0.15, 0.6, -0.05}) {
    Tensor x = spike_tensor(per_step.prepend({t, n}), std::fabs(nominal), 31);
    if (nominal < 0)  // analog values at density ~0.05
      for (int64_t i = 0; i < x.numel(); ++i) x[i] *= float(i % 7) - 3.5f;
    Conv2dGeometry g;
    g.c = per_step[0], g.h = per_step[1], g.w = per_step[2];
    const double density = sparse_pixels(x.data(), t * n, g).density();
    INFO("nominal " << nominal << " density " << density);
    Tensor gy = random_tensor(Shape{t, n, 70, 6, 5}, 32);
    // Output, input gradient, weight gradient, bias gradient and the path taken, per mode.
    struct Run {
      Tensor y, gx, gw, gb;
      bool sparse;
    };
    auto run = [&](const std::string& mode) {
      auto layer = build_layer(
          "{type: conv2d, out_channels: 70, kernel: 3, padding: 1, sparse: " + mode + "}", {per_step});
      BoundLayer b = bind_for_test(*layer, 5);
      RunContext ctx;
      Run r;
      r.y = layer->forward(x, ctx);
      r.sparse = static_cast<Conv2dLayer&>(*layer).last_forward_sparse();
      r.gx = layer->backward(gy, ctx);
      r.gw = b.params[0].grad.clone();
      r.gb = b.params[1].grad.clone();
      return r;
    };
    const Run dense = run("never"), automatic = run("auto"), forced = run("always");
    CHECK_FALSE(dense.sparse);
    CHECK(automatic.sparse == (density <= kSparseConvMaxDensity));
    CHECK(forced.sparse);
    for (const Run* r : {&automatic, &forced}) {
      CHECK(max_abs_diff(r->y, dense.y) < 2e-5f);
      CHECK(max_abs_diff(r->gw, dense.gw) < 3e-4f);  // sums of up to 64 * 30 terms of size ~1
      CHECK(max_abs_diff(r->gx, dense.gx) == 0.f);   // the same dense kernel
      CHECK(max_abs_diff(r->gb, dense.gb) == 0.f);
    }
  }
  // auto stays dense below kSparseConvMinChannels input channels, whatever the density.
  auto narrow = build_layer("{type: conv2d, out_channels: 8, kernel: 3, padding: 1}", {Shape{16, 6, 5}});
  bind_for_test(*narrow);
  RunContext ctx;
  narrow->forward(spike_tensor(Shape{2, 2, 16, 6, 5}, 0.02, 33), ctx);
  CHECK_FALSE(static_cast<Conv2dLayer&>(*narrow).last_forward_sparse());
  CHECK_THROWS_AS(build_layer("{type: conv2d, out_channels: 3, kernel: 3, sparse: maybe}", {Shape{2, 5, 5}}),
                  ConfigError);
}

TEST_CASE("spike-aware conv2d: groups fall back to dense; 1 and 2 threads bit-identical", "[layers][conv2d][sparse][threads]") {
  auto grouped = build_layer("{type: conv2d, out_channels: 4, kernel: 3, groups: 2, sparse: always}",
                             {Shape{4, 7, 7}});
  bind_for_test(*grouped);
  RunContext ctx;
  grouped->forward(spike_tensor(Shape{2, 2, 4, 7, 7}, 0.05, 1), ctx);
  CHECK_FALSE(static_cast<Conv2dLayer&>(*grouped).last_forward_sparse());

  const int saved = num_threads();
  auto layer = build_layer("{type: conv2d, out_channels: 80, kernel: 3, padding: 1}", {Shape{8, 12, 12}});
  BoundLayer b = bind_for_test(*layer);
  Tensor x = spike_tensor(Shape{3, 5, 8, 12, 12}, 0.08, 3);
  Tensor gy = random_tensor(Shape{3, 5, 80, 12, 12}, 4);
  Tensor y[2], gx[2], gw[2];
  for (int k = 0; k < 2; ++k) {
    set_num_threads(k + 1);
    b.params[0].grad.zero();
    y[k] = layer->forward(x, ctx);
    CHECK(static_cast<Conv2dLayer&>(*layer).last_forward_sparse());
    gx[k] = layer->backward(gy, ctx);
    gw[k] = b.params[0].grad.clone();
  }
  set_num_threads(saved);
  CHECK(max_abs_diff(y[0], y[1]) == 0.f);
  CHECK(max_abs_diff(gx[0], gx[1]) == 0.f);
  CHECK(max_abs_diff(gw[0], gw[1]) == 0.f);
}
