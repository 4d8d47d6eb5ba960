// TET loss (Deng et al., ICLR 2022; train/losses.hpp) end to end: a spiking network whose last
// layer outputs per-step spikes [T, N, C] trains with `loss: tet` through the real trainer and
// learns the digits; and the TET loss on a real model output equals its definition
// (1 - lambda) mean_t CE(y[t]) + lambda mean (y - phi)^2 computed here independently.
#include <catch2/catch.hpp>

#include <cmath>

#include "soma/core/config_loader.hpp"
#include "soma/train/losses.hpp"
#include "soma/train/trainer.hpp"
#include "support/run_soma.hpp"

using namespace soma;

TEST_CASE("tet trains a spiking network end to end (digits)", "[recipes][tet][learning]") {
  const std::string out = testing::scratch_dir("tet_digits");
  ConfigNode root = load_config(
      std::string(SOMA_SOURCE_DIR) + "/tests/configs/good/digits_lif.yaml",
      {"output.dir=" + out, "data.root=" + std::string(SOMA_SOURCE_DIR) + "/datasets/sklearn_digits",
       "train.loss={type: tet, lambda: 0.05, phi: 1.0}", "train.epochs=4"});
  Experiment exp = make_experiment(root, "digits_tet");
  REQUIRE(exp.loss->type() == "tet");
  TrainResult r = train(exp, {});
  INFO("test accuracy " << r.last_eval.accuracy);
  CHECK(r.last_eval.samples == 397);
  CHECK(r.last_eval.accuracy >= 0.85);  // chance is 0.10; CE/MSE reach ~0.95 in 4 epochs

  // The loss on a real output against an independent computation.
  const Dataset& ds = *exp.data.test;
  const int64_t steps = ds.sample_shape()[0], per = ds.sample_shape().numel_from(1), batch = 5;
  std::vector<int64_t> dims{steps, batch};
  for (int64_t v : exp.model->input_shape().to_vector()) dims.push_back(v);
  Tensor x = Tensor::empty(Shape(dims));
  std::vector<float> buf(steps * per);
  Rng rng(1);
  for (int64_t n = 0; n < batch; ++n) {
    ds.get(n, buf.data(), rng);
    for (int64_t k = 0; k < steps; ++k)
      std::copy(buf.begin() + k * per, buf.begin() + (k + 1) * per, x.data() + (k * batch + n) * per);
  }
  RunContext ctx;
  ctx.phase = Phase::kEval;
  exp.model->reset_state();
  const Tensor y = exp.model->forward(x, ctx);
  const int64_t T = y.dim(0), N = y.dim(1), C = y.dim(2);
  std::vector<int> labels;
  for (int64_t n = 0; n < N; ++n) labels.push_back(exp.data.test->label(n));
  const double lambda = 0.05, phi = 1.0;
  double ce = 0, mse = 0;
  for (int64_t t = 0; t < T; ++t)
    for (int64_t n = 0; n < N; ++n) {
      const float* z = y.data() + (t * N + n) * C;
      double mx = z[0];
      for (int64_t c = 1; c < C; ++c) mx = std::max(mx, double(z[c]));
      double se = 0;
      for (int64_t c = 0; c < C; ++c) se += std::exp(z[c] - mx);
      ce += mx + std::log(se) - z[labels[n]];
      for (int64_t c = 0; c < C; ++c) mse += (z[c] - phi) * (z[c] - phi);
    }
  const double expect = (1 - lambda) * ce / double(T * N) + lambda * mse / double(T * N * C);
  Tensor g = Tensor::empty(y.shape());
  TetLoss tet(lambda, phi, 0.0);
  CHECK(tet.forward_backward(y, labels, &g) == Approx(expect).epsilon(1e-6));
}
