#include <catch2/catch.hpp>

#include <cmath>

#include "layers/stateless_util.hpp"
#include "support/gradcheck.hpp"

using namespace soma;
using namespace soma::testing;

TEST_CASE("batchnorm gradients match finite differences", "[layers][batchnorm][grad]") {
  struct Case { const char* yaml; Shape in; };
  const Case cases[] = {
      {"{type: batchnorm}", Shape{3, 2, 2}},
      {"{type: batchnorm}", Shape{4}},
      {"{type: batchnorm, affine: false}", Shape{2, 3, 2}},
      {"{type: batchnorm}", Shape{2, 5, 9}},  // planes of 45 >= 32: the lane-chunked sums
  };
  for (const auto& c : cases) {
    INFO(c.yaml << " " << c.in.str());
    auto layer = build_layer(c.yaml, {c.in});
    BoundLayer b = bind_for_test(*layer);
    // Non-trivial gamma/beta so their gradients matter.
    for (auto& p : b.params)
      for (int64_t i = 0; i < p.value.numel(); ++i) p.value[i] += 0.3f * float(i + 1);
    GradCheckOptions opt;
    opt.eps = 3e-3;
    CHECK(check_gradients(*layer, b, random_tensor(c.in.prepend({2, 3}), 6, -2.f, 2.f), opt) == 0);
  }
}

TEST_CASE("batchnorm running statistics and eval mode match hand computation", "[layers][batchnorm]") {
  auto layer = build_layer("{type: batchnorm, momentum: 0.1, eps: 1.0e-5}", {Shape{2, 2, 1}});
  BoundLayer b = bind_for_test(*layer);
  REQUIRE(b.buffers.size() == 2);
  CHECK(b.buffers[1].value[0] == 1.f);  // running_var starts at 1
  const int64_t T = 2, N = 3, C = 2, S = 2;
  Tensor x = random_tensor(Shape{T, N, C, 2, 1}, 8, -3.f, 5.f);
  RunContext ctx;
  Tensor y = layer->forward(x, ctx);
  const int64_t n = T * N * S;
  for (int64_t c = 0; c < C; ++c) {
    double mean = 0, var = 0;
    for (int64_t tn = 0; tn < T * N; ++tn)
      for (int64_t s = 0; s < S; ++s) mean += x[(tn * C + c) * S + s];
    mean /= n;
    for (int64_t tn = 0; tn < T * N; ++tn)
      for (int64_t s = 0; s < S; ++s) var += std::pow(x[(tn * C + c) * S + s] - mean, 2);
    const double biased = var / n, unbiased = var / (n - 1);
    CHECK(b.buffers[0].value[c] == Approx(0.1 * mean).epsilon(1e-5));
    CHECK(b.buffers[1].value[c] == Approx(0.9 + 0.1 * unbiased).epsilon(1e-5));
    // Training output: normalised with the biased batch variance.
    const int64_t k = (0 * C + c) * S;
    CHECK(y[k] == Approx((x[k] - mean) / std::sqrt(biased + 1e-5)).margin(1e-5));
  }
  // A second update compounds: rm = 0.9 * rm1 + 0.1 * mean.
  const float rm1 = b.buffers[0].value[0];
  layer->forward(x, ctx);
  CHECK(b.buffers[0].value[0] == Approx(0.9f * rm1 + rm1).epsilon(1e-5));  // mean = rm1 / 0.1

  // Eval uses the running statistics and leaves them alone.
  b.params[0].value[1] = 2.f;
  b.params[1].value[1] = -0.5f;
  RunContext eval;
  eval.phase = Phase::kEval;
  const float rm = b.buffers[0].value[1], rv = b.buffers[1].value[1];
  Tensor ye = layer->forward(x, eval);
  for (int64_t tn = 0; tn < T * N; ++tn)
    for (int64_t s = 0; s < S; ++s) {
      const int64_t k = (tn * C + 1) * S + s;
      CHECK(ye[k] == Approx(2.f * (x[k] - rm) / std::sqrt(rv + 1e-5f) - 0.5f).margin(1e-5));
    }
  CHECK(b.buffers[0].value[1] == rm);
  CHECK(b.buffers[1].value[1] == rv);
}

TEST_CASE("batchnorm params have no weight decay; bad keys and shapes are rejected", "[layers][batchnorm]") {
  auto layer = build_layer("{type: batchnorm}", {Shape{4, 3, 3}});
  auto specs = layer->param_specs();
  REQUIRE(specs.size() == 2);
  CHECK_FALSE(specs[0].weight_decay);
  CHECK_FALSE(specs[1].weight_decay);
  CHECK(build_layer("{type: batchnorm, affine: false}", {Shape{4}})->param_specs().empty());
  CHECK_THROWS_AS(build_layer("{type: batchnorm, eps: 0}", {Shape{4}}), ConfigError);
  CHECK_THROWS_AS(build_layer("{type: batchnorm, momentum: 1.5}", {Shape{4}}), ConfigError);
  CHECK_THROWS_AS(layer->output_shape(Shape{5, 3, 3}), ShapeError);
}

TEST_CASE("batchnorm eval backward is the fixed affine map", "[layers][batchnorm][grad]") {
  auto layer = build_layer("{type: batchnorm}", {Shape{3}});
  BoundLayer b = bind_for_test(*layer);
  b.buffers[0].value[0] = 0.5f;
  b.buffers[1].value[2] = 4.f;
  b.params[0].value[1] = 3.f;
  RunContext eval;
  eval.phase = Phase::kEval;
  Tensor x = random_tensor(Shape{2, 2, 3}, 3);
  layer->forward(x, eval);
  Tensor gx = layer->backward(Tensor::full(x.shape(), 1.f), eval);
  CHECK(gx[0] == Approx(1.f / std::sqrt(1.f + 1e-5f)));
  CHECK(gx[1] == Approx(3.f / std::sqrt(1.f + 1e-5f)));
  CHECK(gx[2] == Approx(1.f / std::sqrt(4.f + 1e-5f)));
}
