#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
#include <vector>

#include "soma/core/config_node.hpp"
#include "soma/train/loss.hpp"
#include "soma/train/losses.hpp"
#include "support/gradcheck.hpp"

using namespace soma;

namespace {

// Central finite differences of L over every coordinate of y, in double. The actual perturbation
// is taken from the float values that were stored, so float rounding of y +- eps does not bias it.
void check_loss_gradient(Loss& loss, const Tensor& y0, const std::vector<int>& labels) {
  Tensor y = y0.clone();
  Tensor grad;
  loss.forward_backward(y, labels, &grad);
  REQUIRE(grad.shape() == y.shape());
  const double eps = 1e-2;
  int bad = 0;
  for (int64_t i = 0; i < y.numel(); ++i) {
    const float orig = y[i];
    y[i] = static_cast<float>(orig + eps);
    const double hi = y[i];
    const double lp = loss.forward_backward(y, labels, nullptr);
    y[i] = static_cast<float>(orig - eps);
    const double lo = y[i];
    const double lm = loss.forward_backward(y, labels, nullptr);
    y[i] = orig;
    const double num = (lp - lm) / (hi - lo);
    const double ana = grad[i];
    if (std::abs(num - ana) > 2e-5 + 2e-3 * std::max(std::abs(num), std::abs(ana))) {
      ++bad;
      UNSCOPED_INFO("coordinate " << i << ": analytic " << ana << ", numeric " << num);
    }
  }
  CHECK(bad == 0);
}

Tensor make_output(const Shape& s, const std::vector<float>& v) {
  Tensor t(s);
  REQUIRE(static_cast<int64_t>(v.size()) == t.numel());
  for (int64_t i = 0; i < t.numel(); ++i) t[i] = v[static_cast<size_t>(i)];
  return t;
}

std::unique_ptr<Loss> loss_from(const std::string& yaml) {
  return make_loss(ConfigNode::parse(yaml, "train.yaml"));
}

}  // namespace

TEST_CASE("every loss's gradient matches central finite differences", "[train][loss][grad]") {
  const std::vector<int> labels = {0, 3, 4, 1};
  for (int64_t T : {1, 3}) {
    const Tensor y =
        testing::random_tensor(Shape{T, 4, 5}, 11 + static_cast<uint64_t>(T), -2.f, 2.f);
    SECTION("cross_entropy T=" + std::to_string(T)) {
      CrossEntropyLoss l;
      check_loss_gradient(l, y, labels);
    }
    SECTION("cross_entropy with label smoothing T=" + std::to_string(T)) {
      CrossEntropyLoss l(0.1);
      check_loss_gradient(l, y, labels);
    }
    SECTION("mse T=" + std::to_string(T)) {
      SquaredErrorLoss l(SquaredErrorLoss::Kind::kMse);
      check_loss_gradient(l, y, labels);
    }
    SECTION("sum_squares T=" + std::to_string(T)) {
      SquaredErrorLoss l(SquaredErrorLoss::Kind::kSumSquares);
      check_loss_gradient(l, y, labels);
    }
    SECTION("tet T=" + std::to_string(T)) {
      TetLoss l(0.3, 1.0, 0.05);  // a large lambda so the MSE term is visible to the check
      check_loss_gradient(l, y, labels);
    }
  }
}

TEST_CASE("cross-entropy equals a hand-computed value", "[train][loss]") {
  // m = [1, 2, 3], label 2: lse = 3 + log(1 + e^-1 + e^-2) = 3.4076059644443806.
  const double lse = 3.0 + std::log(1.0 + std::exp(-1.0) + std::exp(-2.0));
  REQUIRE(lse == Approx(3.4076059644443806).epsilon(1e-14));
  CrossEntropyLoss ce;
  // T = 2 whose time mean is [1, 2, 3]; the second sample (label 0) has m = [0, 0, 0].
  const Tensor y = make_output(Shape{2, 2, 3}, {0, 2, 2, 1, 0, -1,  //
                                                2, 2, 4, -1, 0, 1});
  Tensor g;
  const double l = ce.forward_backward(y, {2, 0}, &g);
  const double l0 = lse - 3.0, l1 = std::log(3.0);
  CHECK(l == Approx((l0 + l1) / 2).epsilon(1e-12));
  // dL/dy[t, 0, c] = (softmax(m)_c - onehot_c) / (N T)
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  CHECK(g[0] == Approx(std::exp(1.0) / z / 4).epsilon(1e-6));
  CHECK(g[2] == Approx((std::exp(3.0) / z - 1.0) / 4).epsilon(1e-6));
  CHECK(g[6 + 2] == g[2]);  // every time step gets the same share
  CHECK(g[3] == Approx((1.0 / 3 - 1.0) / 4).epsilon(1e-6));

  // label smoothing 0.1: lse - 0.9 z_label - (0.1 / 3) sum z
  CrossEntropyLoss ls(0.1);
  const Tensor m = make_output(Shape{1, 1, 3}, {1, 2, 3});
  CHECK(ls.forward_backward(m, {2}, nullptr) == Approx(lse - 0.9 * 3 - 0.1 / 3 * 6).epsilon(1e-12));
  // Rank 2 [N, C] is T = 1.
  CHECK(ce.forward_backward(make_output(Shape{1, 3}, {1, 2, 3}), {2}, nullptr) ==
        Approx(lse - 3.0).epsilon(1e-12));
}

TEST_CASE("cross-entropy is stable for huge logits", "[train][loss]") {
  CrossEntropyLoss ce;
  const Tensor y = make_output(Shape{1, 2, 3}, {1e4f, 0.f, -1e4f, 3e4f, 3e4f, -3e4f});
  Tensor g;
  const double l = ce.forward_backward(y, {1, 0}, &g);
  REQUIRE(std::isfinite(l));
  CHECK(l == Approx((1e4 + std::log(2.0)) / 2).epsilon(1e-9));
  for (int64_t i = 0; i < g.numel(); ++i) CHECK(std::isfinite(g[i]));
  CHECK(g[3] == Approx(-0.25).margin(1e-7));
}

TEST_CASE("mse and sum_squares equal hand-computed values", "[train][loss]") {
  // m = [0.5, 0.2, 0.1], label 0: squared errors 0.25 + 0.04 + 0.01 = 0.30.
  const Tensor y = make_output(Shape{2, 1, 3}, {1.0f, 0.3f, 0.2f, 0.0f, 0.1f, 0.0f});
  SquaredErrorLoss mse(SquaredErrorLoss::Kind::kMse), ss(SquaredErrorLoss::Kind::kSumSquares);
  Tensor g;
  CHECK(mse.forward_backward(y, {0}, &g) == Approx(0.30 / 3).epsilon(1e-6));
  CHECK(g[0] == Approx(2 * (-0.5) / 3 / 2).epsilon(1e-6));
  CHECK(ss.forward_backward(y, {0}, &g) == Approx(0.15).epsilon(1e-6));
  CHECK(g[1] == Approx(0.2 / 2).epsilon(1e-6));
}

TEST_CASE("tet reduces to per-step cross-entropy and adds the phi regulariser", "[train][loss]") {
  const Tensor y = testing::random_tensor(Shape{3, 2, 4}, 5);
  const std::vector<int> labels = {1, 2};
  CrossEntropyLoss ce;
  double per_step = 0.0;
  for (int64_t t = 0; t < 3; ++t) per_step += ce.forward_backward(y(t), labels, nullptr) / 3;
  TetLoss pure(0.0, 1.0, 0.0);
  CHECK(pure.forward_backward(y, labels, nullptr) == Approx(per_step).epsilon(1e-12));
  double sq = 0.0;
  for (int64_t i = 0; i < y.numel(); ++i) sq += (y[i] - 0.5) * (y[i] - 0.5);
  TetLoss mixed(0.25, 0.5, 0.0);
  CHECK(mixed.forward_backward(y, labels, nullptr) ==
        Approx(0.75 * per_step + 0.25 * sq / y.numel()).epsilon(1e-12));
}

TEST_CASE("losses reject bad labels naming them", "[train][loss]") {
  CrossEntropyLoss ce;
  const Tensor y(Shape{2, 3, 5});
  CHECK_THROWS_AS(ce.forward_backward(y, {0, 5, 1}, nullptr), ShapeError);
  CHECK_THROWS_WITH(ce.forward_backward(y, {0, 1, 7}, nullptr),
                    Catch::Contains("label 7 at batch index 2") && Catch::Contains("[0, 5)"));
  CHECK_THROWS_WITH(ce.forward_backward(y, {0, -1, 1}, nullptr), Catch::Contains("label -1"));
  CHECK_THROWS_WITH(ce.forward_backward(y, {0, 1}, nullptr),
                    Catch::Contains("2 labels for a batch of N = 3"));
  CHECK_THROWS_AS(ce.forward_backward(Tensor(Shape{2, 3, 5, 1}), {0, 1, 2}, nullptr), ShapeError);
}

TEST_CASE("the gradient buffer is reused when its shape matches", "[train][loss]") {
  SquaredErrorLoss mse(SquaredErrorLoss::Kind::kMse);
  const Tensor y = testing::random_tensor(Shape{2, 3, 4}, 3);
  Tensor g(Shape{2, 3, 4});
  const float* before = g.data();
  mse.forward_backward(y, {0, 1, 2}, &g);
  CHECK(g.data() == before);
  Tensor wrong(Shape{5});
  mse.forward_backward(y, {0, 1, 2}, &wrong);
  CHECK(wrong.shape() == y.shape());
}

TEST_CASE("make_loss reads a name or a map and rejects unknown keys", "[train][loss][config]") {
  CHECK(loss_from("epochs: 3\n")->type() == "cross_entropy");
  CHECK(loss_from("loss: mse\n")->type() == "mse");
  CHECK(loss_from("loss: sum_squares\n")->type() == "sum_squares");
  CHECK(loss_from("loss: {type: tet, lambda: 0.001, phi: 1.0}\n")->type() == "tet");
  auto ls = loss_from("loss: {type: cross_entropy, label_smoothing: 0.1}\n");
  const Tensor m = make_output(Shape{1, 1, 3}, {1, 2, 3});
  CHECK(ls->forward_backward(m, {2}, nullptr) ==
        Approx(3.4076059644443806 - 0.9 * 3 - 0.1 / 3 * 6).epsilon(1e-9));
  CHECK_THROWS_WITH(loss_from("loss: hinge\n"), Catch::Contains("choices: cross_entropy"));
  CHECK_THROWS_WITH(loss_from("loss: {type: mse, label_smothing: 0.1}\n"),
                    Catch::Contains("unknown key 'label_smothing'"));
  CHECK_THROWS_WITH(loss_from("loss: {type: cross_entropy, label_smoothing: 1.5}\n"),
                    Catch::Contains("label_smoothing") && Catch::Contains("[0, 1]"));
  CHECK_THROWS_AS(loss_from("loss: {label_smoothing: 0.1}\n"), ConfigError);
}

TEST_CASE("predict_classes is the argmax of the time mean", "[train][loss][metrics]") {
  // n = 0: sums [1, 2, 2] -> tie between 1 and 2 -> 1; n = 1: sums [3, 0, 1] -> 0.
  const Tensor y = make_output(Shape{2, 2, 3}, {1, 0, 2, 1, 0, 0,  //
                                                0, 2, 0, 2, 0, 1});
  CHECK(predict_classes(y) == std::vector<int>{1, 0});
  std::vector<int> out(7, -1);
  predict_classes(y(0), out);  // [N, C] form
  CHECK(out == std::vector<int>{2, 0});
}
