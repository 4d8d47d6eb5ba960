// Neuron layers: exact membrane/spike sequences computed by hand, closed forms, windows that do
// not leak into each other, traces, registry examples and config errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "layers/neurons/neuron_test_util.hpp"
#include "soma/core/threads.hpp"
#include "support/gradcheck.hpp"

using namespace soma;
using namespace soma::testing;

namespace {

// A [T, 1, 1] window from a list of inputs.
Tensor seq(const std::vector<float>& xs) {
  Tensor x(Shape{int64_t(xs.size()), 1, 1});
  for (size_t i = 0; i < xs.size(); ++i) x[int64_t(i)] = xs[i];
  return x;
}

struct Run {
  Tensor y, h;
};

Run run(const std::string& yaml, const Tensor& x, Phase phase = Phase::kEval) {
  auto layer = build_layer(yaml, x.shape().drop_front(2));
  bind_for_test(*layer);
  RunContext ctx;
  ctx.phase = phase;
  ctx.record_state = true;
  layer->reset_state();
  Run r;
  r.y = layer->forward(x, ctx);
  r.h = layer->membrane();
  REQUIRE(r.h.shape() == x.shape());
  return r;
}

void expect_seq(const Tensor& t, const std::vector<double>& want) {
  REQUIRE(t.numel() == int64_t(want.size()));
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("step " << i);
    CHECK(t[int64_t(i)] == Approx(want[i]).margin(1e-6));
  }
}

}  // namespace

TEST_CASE("LIF membrane and spikes by hand (tau 2, decay_input, hard and soft)",
          "[neurons][values]") {
  // h = v + (x - v)/2 with x = 1.5: hard: 0.75, 1.125 (spike, v = 0), 0.75, 1.125 (spike)
  Run hard = run("{type: lif, tau: 2.0}", seq({1.5f, 1.5f, 1.5f, 1.5f}));
  expect_seq(hard.h, {0.75, 1.125, 0.75, 1.125});
  expect_seq(hard.y, {0, 1, 0, 1});
  // soft: v after a spike is h - 1: 0.75, 1.125 (v 0.125), 0.8125, 1.15625 (v 0.15625)
  Run soft = run("{type: lif, tau: 2.0, reset: soft}", seq({1.5f, 1.5f, 1.5f, 1.5f}));
  expect_seq(soft.h, {0.75, 1.125, 0.8125, 1.15625});
  expect_seq(soft.y, {0, 1, 0, 1});
}

TEST_CASE("LIF without decay_input and with v_reset by hand", "[neurons][values]") {
  // tau 4, h = v - v/4 + x, x = [0.5, 0.5, 0.2, 1.0]:
  //   0.5; 0.375 + 0.5 = 0.875; 0.65625 + 0.2 = 0.85625; 0.6421875 + 1 = 1.6421875 (spike)
  Run r = run("{type: lif, tau: 4.0, decay_input: false}", seq({0.5f, 0.5f, 0.2f, 1.0f}));
  expect_seq(r.h, {0.5, 0.875, 0.85625, 1.6421875});
  expect_seq(r.y, {0, 0, 0, 1});
  // v_reset -0.5, tau 2, decay_input: h = v + (x - (v + 0.5))/2, v[-1] = -0.5, x = 2:
  //   -0.5 + 2/2 = 0.5; 0.5 + (2 - 1)/2 = 1.0 (spike: H(0) = 1, v = -0.5); 0.5; 1.0 (spike)
  Run vr = run("{type: lif, tau: 2.0, v_reset: -0.5}", seq({2.f, 2.f, 2.f, 2.f}));
  expect_seq(vr.h, {0.5, 1.0, 0.5, 1.0});
  expect_seq(vr.y, {0, 1, 0, 1});
}

TEST_CASE("STBP decay form by hand: u = k u (1 - o) + x", "[neurons][values]") {
  // k = 0.5, x = 0.6: 0.6, 0.9, 1.05 (spike), 0.6, 0.9
  Run r = run("{type: lif, decay: 0.5}", seq({0.6f, 0.6f, 0.6f, 0.6f, 0.6f}));
  expect_seq(r.h, {0.6, 0.9, 1.05, 0.6, 0.9});
  expect_seq(r.y, {0, 0, 1, 0, 0});
}

TEST_CASE("IF by hand, H(0) = 1 (fires at h == v_threshold)", "[neurons][values]") {
  // hard, x = [0.5, 0.5, 0.25, 1.0]: 0.5, 1.0 (spike exactly at threshold), 0.25, 1.25 (spike)
  Run r = run("{type: if}", seq({0.5f, 0.5f, 0.25f, 1.0f}));
  expect_seq(r.h, {0.5, 1.0, 0.25, 1.25});
  expect_seq(r.y, {0, 1, 0, 1});
  // soft, x = 0.75: 0.75, 1.5 (spike, v 0.5), 1.25 (spike, v 0.25), 1.0 (spike, v 0)
  Run s = run("{type: if, reset: soft}", seq({0.75f, 0.75f, 0.75f, 0.75f}));
  expect_seq(s.h, {0.75, 1.5, 1.25, 1.0});
  expect_seq(s.y, {0, 1, 1, 1});
}

TEST_CASE("LIAF analog output by hand", "[neurons][values]") {
  // tau 2, x = [1.5, 1.5, -1, 3]: h = 0.75, 1.125 (spike, v 0), -0.5, -0.5 + 3.5/2 = 1.25
  const Tensor x = seq({1.5f, 1.5f, -1.f, 3.f});
  Run relu = run("{type: liaf, tau: 2.0}", x);
  expect_seq(relu.h, {0.75, 1.125, -0.5, 1.25});
  expect_seq(relu.y, {0.75, 1.125, 0, 1.25});
  Run tr = run("{type: liaf, tau: 2.0, threshold_related: true}", x);
  expect_seq(tr.y, {0, 0.125, 0, 0.25});
  Run id = run("{type: liaf, tau: 2.0, activation: identity}", x);
  expect_seq(id.y, {0.75, 1.125, -0.5, 1.25});
  Run lr = run("{type: liaf, tau: 2.0, activation: leaky_relu, negative_slope: 0.1}", x);
  expect_seq(lr.y, {0.75, 1.125, -0.05, 1.25});
  Run sig = run("{type: liaf, tau: 2.0, activation: sigmoid}", x);
  expect_seq(sig.y, {1 / (1 + std::exp(-0.75)), 1 / (1 + std::exp(-1.125)),
                     1 / (1 + std::exp(0.5)), 1 / (1 + std::exp(-1.25))});
  Run th = run("{type: liaf, tau: 2.0, activation: tanh}", x);
  expect_seq(th.y, {std::tanh(0.75), std::tanh(1.125), std::tanh(-0.5), std::tanh(1.25)});
  Run se = run("{type: liaf, tau: 2.0, activation: selu}", x);
  const double sc = 1.0507009873554805, al = 1.6732632423543772;
  expect_seq(se.y, {sc * 0.75, sc * 1.125, sc * al * std::expm1(-0.5), sc * 1.25});
}

TEST_CASE("LIF and LI under constant input below threshold follow the closed form",
          "[neurons][values]") {
  // decay_input, v_reset 0: v[t] = x (1 - (1 - 1/tau)^(t+1)), tending to x < v_threshold.
  const int T = 40;
  for (double tau : {2.0, 5.0}) {
    const float x0 = 0.9f;
    const Tensor x = seq(std::vector<float>(T, x0));
    Run lif = run("{type: lif, tau: " + std::to_string(tau) + "}", x);
    Run li = run("{type: li, tau: " + std::to_string(tau) + "}", x);
    for (int t = 0; t < T; ++t) {
      const double want = x0 * (1.0 - std::pow(1.0 - 1.0 / tau, t + 1));
      INFO("tau " << tau << " t " << t);
      CHECK(lif.h[t] == Approx(want).margin(1e-6));
      CHECK(lif.y[t] == 0.f);
      CHECK(li.y[t] == Approx(want).margin(1e-6));
    }
  }
}

TEST_CASE("PLIF with init_tau behaves as LIF with that tau", "[neurons][values][plif]") {
  const Tensor x = random_tensor(Shape{6, 2, 3, 2}, 3, -0.5f, 2.f);
  Run lif = run("{type: lif, tau: 3.0}", x);
  Run plif = run("{type: plif, init_tau: 3.0, per_channel: true}", x);
  CHECK(max_abs_diff(lif.h, plif.h) < 1e-5f);
  auto layer = build_layer("{type: plif, init_tau: 3.0}", Shape{4});
  auto specs = layer->param_specs();
  REQUIRE(specs.size() == 1);
  CHECK(specs[0].name == "w");
  CHECK(specs[0].shape == Shape{1});
  CHECK_FALSE(specs[0].weight_decay);
  CHECK(specs[0].init.a == Approx(-std::log(2.0)));
}

TEST_CASE("windows do not leak: the same input gives the same output twice", "[neurons]") {
  for (const char* yaml : {"{type: lif}", "{type: if}", "{type: liaf}", "{type: li}",
                           "{type: plif}"}) {
    INFO(yaml);
    auto layer = build_layer(yaml, Shape{7});
    bind_for_test(*layer);
    const Tensor x = random_tensor(Shape{5, 3, 7}, 9, 0.f, 2.f);
    RunContext ctx;
    layer->reset_state();
    Tensor y1 = layer->forward(x, ctx);
    layer->backward(y1, ctx);
    layer->reset_state();
    Tensor y2 = layer->forward(x, ctx);
    CHECK(max_abs_diff(y1, y2) == 0.f);
    // No trace unless asked for.
    CHECK_FALSE(layer->membrane().defined());
  }
}

TEST_CASE("results are identical with 1 and 2 threads", "[neurons][threads]") {
  // Large enough for several blocks per row; PLIF per channel exercises the w reduction.
  const Shape per_step{6, 10, 11};
  const Tensor x = random_tensor(per_step.prepend({5, 3}), 4, -0.5f, 1.8f);
  const Tensor g = random_tensor(per_step.prepend({5, 3}), 8);
  const int saved = num_threads();
  for (const char* yaml : {"{type: plif, per_channel: true}", "{type: plif}",
                           "{type: liaf, activation: selu, detach_reset: false}"}) {
    INFO(yaml);
    std::vector<Tensor> ys, gxs, gws;
    for (int threads : {1, 2}) {
      set_num_threads(threads);
      auto layer = build_layer(yaml, per_step);
      BoundLayer b = bind_for_test(*layer);
      RunContext ctx;
      ys.push_back(layer->forward(x, ctx));
      gxs.push_back(layer->backward(g, ctx));
      gws.push_back(b.params.empty() ? Tensor(Shape{1}) : b.params[0].grad.clone());
    }
    CHECK(max_abs_diff(ys[0], ys[1]) == 0.f);
    CHECK(max_abs_diff(gxs[0], gxs[1]) == 0.f);
    CHECK(max_abs_diff(gws[0], gws[1]) == 0.f);
  }
  set_num_threads(saved);
}

TEST_CASE("every neuron type builds from its registry example", "[neurons][registry]") {
  for (const char* type : {"if", "lif", "plif", "liaf", "li"}) {
    INFO(type);
    const LayerInfo* info = LayerRegistry::builtin().find(type);
    REQUIRE(info != nullptr);
    auto layer = build_layer(info->example_yaml, info->example_input);
    CHECK(layer->type() == type);
    CHECK(layer->output_shape(info->example_input) == info->example_input);
    CHECK(layer->emits_spikes() == (std::string(type) == "if" || std::string(type) == "lif" ||
                                    std::string(type) == "plif"));
    bind_for_test(*layer);
    RunContext ctx;
    const Tensor x = random_tensor(info->example_input.prepend({3, 2}), 1);
    Tensor y = layer->forward(x, ctx);
    CHECK(y.shape() == x.shape());
    CHECK(layer->backward(y, ctx).shape() == x.shape());
  }
}

TEST_CASE("neuron config errors", "[neurons][config]") {
  auto fails = [](const std::string& yaml, const std::string& text) {
    INFO(yaml);
    CHECK_THROWS_AS(build_layer(yaml, Shape{4}), ConfigError);
    CHECK_THROWS_WITH(build_layer(yaml, Shape{4}), Catch::Contains(text));
  };
  fails("{type: lif, tau: 2.0, decay: 0.5}", "either tau");
  fails("{type: liaf, tau: 2.0, decay: 0.5}", "not both");
  fails("{type: lif, surrogate: {type: arctan}}",
        "choices: rectangular, triangle, sigmoid, atan, fast_sigmoid, gaussian");
  fails("{type: lif, tau: 0.5}", "must be > 1");
  fails("{type: lif, tau: -2}", "must be > 1");
  fails("{type: li, tau: 1.0}", "must be > 1");
  fails("{type: plif, init_tau: 1.0}", "must be > 1");
  fails("{type: lif, decay: 1.5}", "[0, 1]");
  fails("{type: lif, decay: 0.5, decay_input: false}", "tau form only");
  fails("{type: lif, reset: zero}", "choices: hard, soft");
  fails("{type: lif, spike_fn: sigmoid}", "choices: heaviside, primitive");
  fails("{type: liaf, activation: gelu}", "identity, relu, leaky_relu, selu, sigmoid, tanh");
  fails("{type: lif, v_threshold: 0.0}", "must be > v_reset");
  fails("{type: lif, v_treshold: 1.0}", "unknown key 'v_treshold'");
  fails("{type: lif, surrogate: {type: atan, alpha: -1}}", "> 0");
  CHECK_THROWS_AS(build_layer("{type: plif, per_channel: true}", Shape{}), ShapeError);
  auto layer = build_layer("{type: lif}", Shape{4});
  RunContext ctx;
  CHECK_THROWS_AS(layer->forward(Tensor(Shape{3, 2, 5}), ctx), ShapeError);
  CHECK_THROWS_AS(layer->output_shape(Shape{5}), ShapeError);
}

TEST_CASE("defaults: atan(2) surrogate, hard reset, heaviside, liaf detaches its reset",
          "[neurons][config]") {
  auto lif = build_layer("{type: lif}", Shape{4});
  const NeuronScanParams& p = as_neuron(*lif).scan_params();
  CHECK(p.surrogate.kind == SurrogateKind::kAtan);
  CHECK(p.surrogate.param == 2.f);
  CHECK(p.reset == ResetMode::kHard);
  CHECK_FALSE(p.detach_reset);
  CHECK_FALSE(p.spike_primitive);
  CHECK(p.v_threshold == 1.f);
  CHECK(p.v_reset == 0.f);
  CHECK(as_neuron(*lif).coeff_a()[0] == 0.5f);  // tau 2
  auto liaf = build_layer("{type: liaf}", Shape{4});
  CHECK(as_neuron(*liaf).scan_params().detach_reset);
  CHECK(as_neuron(*liaf).scan_params().activation == Activation::kRelu);
}
