#include <catch2/catch.hpp>

#include <vector>

#include "soma/core/config_node.hpp"
#include "soma/ops/activation.hpp"

using namespace soma;

TEST_CASE("activation values at known points", "[ops][activation]") {
  CHECK(activation_forward(Activation::kRelu, -2.f) == 0.f);
  CHECK(activation_forward(Activation::kRelu, 3.f) == 3.f);
  CHECK(activation_forward(Activation::kLeakyRelu, -2.f) == Approx(-0.02f));
  CHECK(activation_forward(Activation::kLeakyRelu, -2.f, 0.2f) == Approx(-0.4f));
  CHECK(activation_forward(Activation::kSigmoid, 0.f) == Approx(0.5f));
  CHECK(activation_forward(Activation::kTanh, 0.5f) == Approx(std::tanh(0.5f)));
  CHECK(activation_forward(Activation::kIdentity, -7.f) == -7.f);
  // PyTorch: torch.selu(torch.tensor([-1., 1.])) = [-1.1113, 1.0507]
  CHECK(activation_forward(Activation::kSelu, -1.f) == Approx(-1.1113307f).epsilon(1e-5));
  CHECK(activation_forward(Activation::kSelu, 1.f) == Approx(1.0507010f).epsilon(1e-6));
  // Left derivative at the kink.
  CHECK(activation_grad(Activation::kRelu, 0.f) == 0.f);
}

TEST_CASE("activation derivatives match central differences", "[ops][activation][grad]") {
  for (Activation a : {Activation::kIdentity, Activation::kRelu, Activation::kLeakyRelu,
                       Activation::kSelu, Activation::kSigmoid, Activation::kTanh})
    for (float x : {-2.5f, -0.7f, -0.1f, 0.2f, 0.9f, 3.f}) {
      const double h = 1e-3;
      const double num = (double(activation_forward(a, float(x + h))) -
                          double(activation_forward(a, float(x - h)))) / (2 * h);
      INFO(activation_name(a) << " at " << x);
      CHECK(activation_grad(a, x) == Approx(num).margin(2e-3).epsilon(2e-3));
    }
}

TEST_CASE("array kernels equal the scalar functions", "[ops][activation]") {
  std::vector<float> x{-2.f, -0.5f, 0.3f, 1.7f}, g{1.f, 2.f, 3.f, 4.f}, y(4), gx(4);
  for (Activation a : {Activation::kRelu, Activation::kLeakyRelu, Activation::kSelu,
                       Activation::kSigmoid, Activation::kTanh}) {
    activation_forward(a, x.data(), y.data(), 4, 0.1f);
    activation_backward(a, x.data(), g.data(), gx.data(), 4, 0.1f);
    for (int i = 0; i < 4; ++i) {
      CHECK(y[i] == activation_forward(a, x[i], 0.1f));
      CHECK(gx[i] == g[i] * activation_grad(a, x[i], 0.1f));
    }
  }
}

TEST_CASE("parse_activation reads names, defaults and rejects unknown ones", "[ops][activation]") {
  ConfigNode c = ConfigNode::parse("{activation: leaky_relu, bad: swish}", "test");
  CHECK(parse_activation(c, "activation", Activation::kRelu) == Activation::kLeakyRelu);
  CHECK(parse_activation(c, "missing", Activation::kTanh) == Activation::kTanh);
  CHECK_THROWS_AS(parse_activation(c, "bad", Activation::kRelu), ConfigError);
  for (Activation a : {Activation::kIdentity, Activation::kRelu, Activation::kLeakyRelu,
                       Activation::kSelu, Activation::kSigmoid, Activation::kTanh})
    CHECK(activation_from_name(activation_name(a)) == a);
}
