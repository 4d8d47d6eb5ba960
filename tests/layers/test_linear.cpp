#include <catch2/catch.hpp>

#include "layers/stateless_util.hpp"
#include "soma/core/threads.hpp"
#include "soma/core/rng.hpp"
#include "soma/layers/linear.hpp"
#include "support/gradcheck.hpp"

using namespace soma;
using namespace soma::testing;

TEST_CASE("linear computes x W^T + b per step", "[layers][linear]") {
  auto layer = build_layer("{type: linear, out_features: 2}", {Shape{3}});
  BoundLayer b = bind_for_test(*layer);
  Tensor& w = b.params[0].value;
  for (int i = 0; i < 6; ++i) w[i] = float(i + 1);  // [[1,2,3],[4,5,6]]
  b.params[1].value[0] = 0.5f;
  b.params[1].value[1] = -1.f;
  Tensor x(Shape{2, 1, 3});
  for (int i = 0; i < 6; ++i) x[i] = float(i);  // steps [0,1,2], [3,4,5]
  RunContext ctx;
  Tensor y = layer->forward(x, ctx);
  REQUIRE(y.shape() == Shape({2, 1, 2}));
  CHECK(y[0] == Approx(8.5f));   // 0+2+6 + 0.5
  CHECK(y[1] == Approx(16.f));   // 0+5+12 - 1
  CHECK(y[2] == Approx(26.5f));  // 3+8+15 + .5
  CHECK(y[3] == Approx(61.f));   // 12+20+30 - 1
  CHECK(layer->synaptic_ops_per_step(Shape{3}) == 6);
}

TEST_CASE("linear gradients (input, weight, bias) match finite differences", "[layers][linear][grad]") {
  for (const char* yaml : {"{type: linear, out_features: 5}", "{type: linear, out_features: 4, bias: false}"}) {
    auto layer = build_layer(yaml, {Shape{7}});
    BoundLayer b = bind_for_test(*layer);
    CHECK(b.params.size() == (std::string(yaml).find("false") == std::string::npos ? 2u : 1u));
    CHECK(check_gradients(*layer, b, random_tensor(Shape{3, 2, 7}, 11)) == 0);
  }
}

TEST_CASE("linear initialisation follows PyTorch's bounds", "[layers][linear]") {
  auto layer = build_layer("{type: linear, out_features: 50}", {Shape{16}});
  BoundLayer b = bind_for_test(*layer);
  float wmax = 0.f, bmax = 0.f;
  for (int64_t i = 0; i < b.params[0].value.numel(); ++i) wmax = std::max(wmax, std::fabs(b.params[0].value[i]));
  for (int64_t i = 0; i < 50; ++i) bmax = std::max(bmax, std::fabs(b.params[1].value[i]));
  CHECK(wmax <= 0.25f);  // 1/sqrt(16)
  CHECK(wmax > 0.2f);
  CHECK(bmax <= 0.25f);
}

TEST_CASE("linear rejects non-vector inputs and bad keys", "[layers][linear]") {
  CHECK_THROWS_AS(build_layer("{type: linear, out_features: 4}", {Shape{2, 4, 4}}), ShapeError);
  try {
    build_layer("{type: linear, out_features: 4}", {Shape{2, 4, 4}});
  } catch (const ShapeError& e) {
    CHECK_THAT(e.what(), Catch::Contains("flatten"));
  }
  CHECK_THROWS_AS(build_layer("{type: linear, out_features: 0}", {Shape{4}}), ConfigError);
  CHECK_THROWS_AS(build_layer("{type: linear}", {Shape{4}}), ConfigError);
  CHECK_THROWS_AS(build_layer("{type: linear, out_features: 3, bais: true}", {Shape{4}}), ConfigError);
  auto layer = build_layer("{type: linear, out_features: 4}", {Shape{6}});
  CHECK_THROWS_AS(layer->output_shape(Shape{5}), ShapeError);
  bind_for_test(*layer);
  RunContext ctx;
  CHECK_THROWS_AS(layer->forward(Tensor(Shape{2, 2, 5}), ctx), ShapeError);
}

TEST_CASE("linear is bit-identical with 1 and 2 threads", "[layers][linear][threads]") {
  const int saved = num_threads();
  auto layer = build_layer("{type: linear, out_features: 96}", {Shape{200}});
  BoundLayer b = bind_for_test(*layer);
  Tensor x = random_tensor(Shape{8, 16, 200}, 3);
  Tensor gy = random_tensor(Shape{8, 16, 96}, 4);
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

TEST_CASE("linear picks the spike-aware path by density; both paths agree", "[layers][linear][sparse]") {
  // Spikes at density 0.05 (auto: sparse forward and weight gradient), 0.2 (sparse forward,
  // dense weight gradient: 70 outputs are below the wide-layer threshold) and 0.7 (dense);
  // `always` and `never` force one path.
  for (const double nominal : {0.05, 0.2, 0.7}) {
    Tensor x(Shape{4, 3, 40});
    Rng rng(21);
    for (int64_t i = 0; i < x.numel(); ++i) x[i] = rng.uniform(0.f, 1.f) < nominal ? 1.f : 0.f;
    const double density = nonzero_density(x.data(), x.numel());
    INFO("density " << density);
    Tensor gy = random_tensor(Shape{4, 3, 70}, 22);  // 70 outputs >= kSparseLinearMinOutputs
    std::vector<Tensor> ys, gxs, gws, gbs;
    for (const char* mode : {"auto", "always", "never"}) {
      auto layer = build_layer(std::string("{type: linear, out_features: 70, sparse: ") + mode + "}",
                               {Shape{40}});
      BoundLayer b = bind_for_test(*layer, 5);
      RunContext ctx;
      ys.push_back(layer->forward(x, ctx));
      const bool sparse = static_cast<LinearLayer&>(*layer).last_forward_sparse();
      if (std::string(mode) == "auto") CHECK(sparse == (density <= kSparseLinearMaxDensity));
      if (std::string(mode) == "always") CHECK(sparse);
      if (std::string(mode) == "never") CHECK_FALSE(sparse);
      gxs.push_back(layer->backward(gy, ctx));
      gws.push_back(b.params[0].grad.clone());
      gbs.push_back(b.params[1].grad.clone());
    }
    for (int k = 1; k < 3; ++k) {
      for (int64_t i = 0; i < ys[0].numel(); ++i) REQUIRE(ys[k][i] == Approx(ys[0][i]).margin(1e-5));
      for (int64_t i = 0; i < gws[0].numel(); ++i) REQUIRE(gws[k][i] == Approx(gws[0][i]).margin(1e-5));
      CHECK(gxs[k].shape() == gxs[0].shape());
      for (int64_t i = 0; i < gxs[0].numel(); ++i) REQUIRE(gxs[k][i] == gxs[0][i]);  // same gemm
      for (int64_t i = 0; i < gbs[0].numel(); ++i) REQUIRE(gbs[k][i] == gbs[0][i]);
    }
  }
  CHECK_THROWS_AS(build_layer("{type: linear, out_features: 3, sparse: maybe}", {Shape{4}}),
                  ConfigError);
}
