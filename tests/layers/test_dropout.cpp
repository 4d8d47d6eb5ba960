#include <catch2/catch.hpp>

#include <cmath>

#include "layers/stateless_util.hpp"
#include "support/gradcheck.hpp"

using namespace soma;
using namespace soma::testing;

TEST_CASE("dropout mask statistics: drop rate within 4 sigma, kept values scaled", "[layers][dropout]") {
  const float p = 0.3f;
  auto layer = build_layer("{type: dropout, p: 0.3}", {Shape{1000}});
  Tensor x = Tensor::full(Shape{4, 25, 1000}, 1.f);
  Rng rng(1701);
  RunContext ctx;
  ctx.rng = &rng;
  Tensor y = layer->forward(x, ctx);
  int64_t zeros = 0;
  double sum = 0.0;
  for (int64_t i = 0; i < y.numel(); ++i) {
    if (y[i] == 0.f) ++zeros;
    else CHECK(y[i] == Approx(1.f / (1.f - p)));
    sum += y[i];
  }
  const double n = double(y.numel());
  const double sigma = std::sqrt(p * (1 - p) / n);  // binomial drop fraction
  CHECK(std::fabs(zeros / n - p) < 4 * sigma);
  CHECK(std::fabs(sum / n - 1.0) < 4 * sigma / (1 - p));  // inverted scaling keeps the mean
  // Backward uses the same mask.
  Tensor g = layer->backward(Tensor::full(x.shape(), 2.f), ctx);
  for (int64_t i = 0; i < y.numel(); ++i) CHECK(g[i] == 2.f * y[i]);
}

TEST_CASE("dropout shared_over_time reuses one mask across steps", "[layers][dropout]") {
  Tensor x = random_tensor(Shape{5, 3, 40}, 2, 0.5f, 1.f);
  Rng rng(3);
  RunContext ctx;
  ctx.rng = &rng;
  auto shared = build_layer("{type: dropout, p: 0.5, shared_over_time: true}", {Shape{40}});
  Tensor y = shared->forward(x, ctx);
  const int64_t step = 3 * 40;
  for (int64_t t = 1; t < 5; ++t)
    for (int64_t i = 0; i < step; ++i) CHECK((y[t * step + i] == 0.f) == (y[i] == 0.f));
  auto independent = build_layer("{type: dropout, p: 0.5}", {Shape{40}});
  Tensor z = independent->forward(x, ctx);
  int64_t differ = 0;
  for (int64_t i = 0; i < step; ++i) differ += (z[step + i] == 0.f) != (z[i] == 0.f);
  CHECK(differ > 0);  // P(identical masks over 120 elements) = 2^-120
}

TEST_CASE("dropout is the identity in eval and needs an rng in training", "[layers][dropout]") {
  auto layer = build_layer("{type: dropout, p: 0.9}", {Shape{8}});
  Tensor x = random_tensor(Shape{2, 2, 8}, 4);
  RunContext eval;
  eval.phase = Phase::kEval;
  Tensor y = layer->forward(x, eval);
  CHECK(max_abs_diff(x, y) == 0.f);
  CHECK(max_abs_diff(layer->backward(y, eval), y) == 0.f);
  RunContext train;  // rng null
  CHECK_THROWS_AS(layer->forward(x, train), Error);
  CHECK_THROWS_AS(build_layer("{type: dropout, p: 1.0}", {Shape{8}}), ConfigError);
  CHECK_THROWS_AS(build_layer("{type: dropout, p: -0.1}", {Shape{8}}), ConfigError);
}

TEST_CASE("dropout gradients match finite differences", "[layers][dropout][grad]") {
  for (const char* yaml : {"{type: dropout, p: 0.4}", "{type: dropout, p: 0.4, shared_over_time: true}"}) {
    auto layer = build_layer(yaml, {Shape{3, 4}});
    BoundLayer b = bind_for_test(*layer);
    CHECK(check_gradients(*layer, b, random_tensor(Shape{3, 2, 3, 4}, 5)) == 0);
  }
}
