#include <catch2/catch.hpp>

#include <cmath>

#include "layers/stateless_util.hpp"
#include "soma/core/error.hpp"
#include "soma/core/rng.hpp"
#include "soma/layers/weight_init.hpp"

using namespace soma;
using namespace soma::testing;

namespace {

// Draws the layer's weight tensor (param 0) from its spec and returns its mean and std.
std::pair<double, double> drawn_moments(Layer& layer, uint64_t seed = 3) {
  const ParamSpec spec = layer.param_specs().at(0);
  REQUIRE(spec.name == "weight");
  Tensor w = Tensor::empty(spec.shape);
  Rng rng(seed);
  apply_init(spec.init, w, rng);
  double s = 0, s2 = 0;
  for (int64_t i = 0; i < w.numel(); ++i) {
    s += w[i];
    s2 += double(w[i]) * w[i];
  }
  const double n = double(w.numel());
  return {s / n, std::sqrt(s2 / n - (s / n) * (s / n))};
}

}  // namespace

TEST_CASE("weight_init sets the scale of conv2d and linear weights", "[layers][init]") {
  // conv2d 16 -> 64, 3x3: fan_in 144, fan_out 576; 9216 draws, so the std is within ~2%.
  const double fan_in = 16 * 9, fan_out = 64 * 9;
  auto torch = build_layer("{type: conv2d, out_channels: 64, kernel: 3}", {Shape{16, 8, 8}});
  auto he = build_layer("{type: conv2d, out_channels: 64, kernel: 3, weight_init: kaiming_normal}",
                        {Shape{16, 8, 8}});
  auto he_u = build_layer(
      "{type: conv2d, out_channels: 64, kernel: 3, weight_init: kaiming_uniform, weight_gain: 0.5}",
      {Shape{16, 8, 8}});
  auto xavier = build_layer("{type: conv2d, out_channels: 64, kernel: 3, weight_init: xavier_uniform}",
                            {Shape{16, 8, 8}});
  CHECK(drawn_moments(*torch).second == Approx(1.0 / std::sqrt(3 * fan_in)).epsilon(0.03));
  CHECK(drawn_moments(*he).second == Approx(std::sqrt(2.0 / fan_in)).epsilon(0.03));
  CHECK(drawn_moments(*he_u).second == Approx(0.5 * std::sqrt(2.0 / fan_in)).epsilon(0.03));
  CHECK(drawn_moments(*xavier).second ==
        Approx(std::sqrt(2.0 / (fan_in + fan_out))).epsilon(0.03));
  CHECK(std::abs(drawn_moments(*he).first) < 0.01 * std::sqrt(2.0 / fan_in) * 10);

  auto lin = build_layer("{type: linear, out_features: 200, weight_init: kaiming_normal, weight_gain: 2}",
                         {Shape{100}});
  CHECK(drawn_moments(*lin).second == Approx(2 * std::sqrt(2.0 / 100)).epsilon(0.03));
}

TEST_CASE("the default weight_init draws exactly PyTorch's kaiming_uniform(a = sqrt(5))",
          "[layers][init]") {
  // Existing checkpoints and recorded results depend on the historical draws.
  auto layer = build_layer("{type: linear, out_features: 7, weight_init: torch}", {Shape{5}});
  const Init init = layer->param_specs().at(0).init;
  CHECK(init.kind == Init::Kind::kKaimingUniform);
  CHECK(init.fan_in == 5);
}

TEST_CASE("weight_init rejects unknown kinds and bad gains", "[layers][init]") {
  CHECK_THROWS_AS(build_layer("{type: linear, out_features: 2, weight_init: he}", {Shape{3}}),
                  ConfigError);
  CHECK_THROWS_AS(build_layer("{type: conv2d, out_channels: 2, kernel: 1, weight_gain: 0}",
                              {Shape{1, 2, 2}}),
                  ConfigError);
}
