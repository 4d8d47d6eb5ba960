// Layers for deep directly-trained SNNs: tdbn, bntt, neunorm, sew_connect, LIAF learnable decay.
// Gradients by finite differences; statistics and maths against hand computations.
#include <catch2/catch.hpp>

#include <cmath>

#include "layers/stateless_util.hpp"
#include "soma/layers/neunorm.hpp"
#include "soma/layers/tdbn.hpp"
#include "support/gradcheck.hpp"

using namespace soma;
using namespace soma::testing;

namespace {

void perturb_params(BoundLayer& b, float step) {
  for (auto& p : b.params)
    for (int64_t i = 0; i < p.value.numel(); ++i) p.value[i] += step * float(i % 7 + 1);
}

}  // namespace

TEST_CASE("new deep-SNN layer types build from their registry examples", "[layers][registry]") {
  for (const char* type : {"tdbn", "bntt", "neunorm", "sew_connect"}) {
    INFO(type);
    const LayerInfo* info = LayerRegistry::builtin().find(type);
    REQUIRE(info != nullptr);
    std::vector<Shape> in(info->example_inputs, info->example_input);
    auto layer = build_layer(info->example_yaml, in);
    CHECK(layer->type() == type);
  }
  for (const char* type : {"spiking_resnet_block", "sew_block", "ms_block", "conv_liaf", "dense_liaf"})
    CHECK(LayerRegistry::builtin().find_block(type) != nullptr);
}

TEST_CASE("tdbn gradients match finite differences", "[layers][tdbn][grad]") {
  for (const char* yaml : {"{type: tdbn, alpha: 0.7071, v_threshold: 0.5}",
                           "{type: tdbn, affine: false, v_threshold: 2.0}"}) {
    for (const Shape& in : {Shape{3, 2, 2}, Shape{4}}) {
      INFO(yaml << " " << in.str());
      auto layer = build_layer(yaml, {in});
      BoundLayer b = bind_for_test(*layer);
      perturb_params(b, 0.2f);
      GradCheckOptions opt;
      opt.eps = 3e-3;
      CHECK(check_gradients(*layer, b, random_tensor(in.prepend({3, 2}), 6, -2.f, 2.f), opt) == 0);
    }
  }
}

TEST_CASE("tdbn normalises over (T, N, H, W) to N(0, (alpha v_th)^2)", "[layers][tdbn]") {
  const float alpha = 0.5f, vth = 0.8f;
  auto layer = build_layer("{type: tdbn, alpha: 0.5, v_threshold: 0.8}", {Shape{2, 3, 3}});
  BoundLayer b = bind_for_test(*layer);
  const int64_t T = 4, N = 3, C = 2, S = 9;
  Tensor x = random_tensor(Shape{T, N, C, 3, 3}, 3, -1.f, 5.f);
  RunContext ctx;
  Tensor y = layer->forward(x, ctx);
  for (int64_t c = 0; c < C; ++c) {
    double m = 0, v = 0;
    for (int64_t tn = 0; tn < T * N; ++tn)
      for (int64_t s = 0; s < S; ++s) m += y[(tn * C + c) * S + s];
    m /= double(T * N * S);
    for (int64_t tn = 0; tn < T * N; ++tn)
      for (int64_t s = 0; s < S; ++s) v += std::pow(y[(tn * C + c) * S + s] - m, 2);
    v /= double(T * N * S);
    CHECK(m == Approx(0.0).margin(1e-5));
    CHECK(std::sqrt(v) == Approx(alpha * vth).epsilon(1e-3));
  }
  // Eval mode with running statistics equals the reported affine map.
  auto* td = dynamic_cast<TdBatchNormLayer*>(layer.get());
  REQUIRE(td);
  std::vector<float> scale, shift;
  td->eval_affine(scale, shift);
  ctx.phase = Phase::kEval;
  Tensor ye = layer->forward(x, ctx);
  for (int64_t i : {0, 17, 40, 100})
    CHECK(ye[i] == Approx(scale[(i / S) % C] * x[i] + shift[(i / S) % C]).margin(1e-5));
}

TEST_CASE("bntt keeps separate statistics per time step", "[layers][bntt]") {
  auto layer = build_layer("{type: bntt, time_steps: 3, momentum: 1.0}", {Shape{2}});
  BoundLayer b = bind_for_test(*layer);
  // Step t has mean 10 t and spread 1 + t: each step is normalised on its own.
  const int64_t T = 3, N = 4, C = 2;
  Tensor x = Tensor::empty(Shape{T, N, C});
  for (int64_t t = 0; t < T; ++t)
    for (int64_t n = 0; n < N; ++n)
      for (int64_t c = 0; c < C; ++c) x[(t * N + n) * C + c] = 10.f * t + (1.f + t) * (n - 1.5f);
  RunContext ctx;
  Tensor y = layer->forward(x, ctx);
  const double sd = std::sqrt(1.25);  // biased std of n - 1.5 over n = 0..3
  for (int64_t t = 0; t < T; ++t)
    for (int64_t n = 0; n < N; ++n)
      CHECK(y[(t * N + n) * C] == Approx((n - 1.5) / sd).margin(1e-4));
  // momentum 1: running stats are the last batch's, per step ([T, C] buffers).
  REQUIRE(b.buffers.size() == 2);
  CHECK(b.buffers[0].value.shape() == Shape{3, 2});
  CHECK(b.buffers[0].value[2 * C] == Approx(20.f));
  CHECK(b.buffers[1].value[2 * C] == Approx(9.0 * 1.25 * 4.0 / 3.0).epsilon(1e-5));
  // A window longer than time_steps is an error; a shorter one works.
  CHECK_THROWS_AS(layer->forward(Tensor(Shape{4, N, C}), ctx), ShapeError);
  ctx.phase = Phase::kEval;
  CHECK(layer->forward(x.slice(0, 2), ctx).dim(0) == 2);
}

TEST_CASE("bntt gradients match finite differences", "[layers][bntt][grad]") {
  for (const char* yaml : {"{type: bntt, time_steps: 4}", "{type: bntt, time_steps: 3, bias: false}"}) {
    INFO(yaml);
    auto layer = build_layer(yaml, {Shape{2, 2, 2}});
    BoundLayer b = bind_for_test(*layer);
    perturb_params(b, 0.15f);
    GradCheckOptions opt;
    opt.eps = 3e-3;
    CHECK(check_gradients(*layer, b, random_tensor(Shape{3, 3, 2, 2, 2}, 9, -2.f, 2.f), opt) == 0);
  }
}

TEST_CASE("neunorm matches the auxiliary-neuron recurrence", "[layers][neunorm]") {
  // One sample, C = 2 channels, 1 position, T = 3, decay 0.5, spikingjelly scale (1-k)/F^2.
  auto layer = build_layer("{type: neunorm, decay: 0.5}", {Shape{2, 1, 1}});
  BoundLayer b = bind_for_test(*layer);
  b.params[0].value[0] = 0.4f;
  b.params[0].value[1] = -0.2f;
  auto* nn = dynamic_cast<NeuNormLayer*>(layer.get());
  REQUIRE(nn);
  CHECK(nn->coef() == Approx(0.125f));
  const float o[3][2] = {{1, 1}, {0, 1}, {1, 0}};
  Tensor x = Tensor::empty(Shape{3, 1, 2, 1, 1});
  for (int t = 0; t < 3; ++t)
    for (int c = 0; c < 2; ++c) x[t * 2 + c] = o[t][c];
  RunContext ctx;
  Tensor y = layer->forward(x, ctx);
  double v = 0;
  for (int t = 0; t < 3; ++t) {
    v = 0.5 * v + 0.125 * (o[t][0] + o[t][1]);
    CHECK(y[t * 2 + 0] == Approx(o[t][0] - 0.4 * v).margin(1e-6));
    CHECK(y[t * 2 + 1] == Approx(o[t][1] + 0.2 * v).margin(1e-6));
  }
  // aux_scale: mean uses (1 - k)/F.
  auto mean = build_layer("{type: neunorm, decay: 0.5, aux_scale: mean}", {Shape{2, 1, 1}});
  CHECK(dynamic_cast<NeuNormLayer*>(mean.get())->coef() == Approx(0.25f));
}

TEST_CASE("neunorm gradients match finite differences", "[layers][neunorm][grad]") {
  for (const char* yaml : {"{type: neunorm, decay: 0.8}",
                           "{type: neunorm, decay: 0.6, aux_scale: mean, alpha_shape: hw}"}) {
    for (const Shape& in : {Shape{3, 2, 2}, Shape{4}}) {
      INFO(yaml << " " << in.str());
      auto layer = build_layer(yaml, {in});
      BoundLayer b = bind_for_test(*layer);
      CHECK(check_gradients(*layer, b, random_tensor(in.prepend({5, 2}), 4, 0.f, 1.f)) == 0);
    }
  }
}

TEST_CASE("sew_connect functions, gradients and identity property", "[layers][sew][grad]") {
  const Shape in{2, 3, 3};
  for (const char* c : {"add", "and", "iand"}) {
    INFO(c);
    auto layer = build_layer(std::string("{type: sew_connect, connect: ") + c + "}", {in, in});
    auto* m = dynamic_cast<MergeLayer*>(layer.get());
    REQUIRE(m);
    BoundLayer b = bind_for_test(*layer);
    const Tensor a = random_tensor(in.prepend({3, 2}), 1, -1.f, 2.f);
    const Tensor s = random_tensor(in.prepend({3, 2}), 2, -1.f, 2.f);
    CHECK(check_gradients_multi(*m, b, {a, s}) == 0);

    // Identity: binary shortcut spikes S; A = 0 (add, iand) or A = 1 (and) gives O = S.
    Tensor spikes = Tensor::empty(in.prepend({3, 2}));
    for (int64_t i = 0; i < spikes.numel(); ++i) spikes[i] = float((i * 7) % 3 == 0);
    Tensor branch = Tensor::empty(spikes.shape());
    branch.fill(std::string(c) == "and" ? 1.f : 0.f);
    RunContext ctx;
    Tensor o = m->forward_multi({branch, spikes}, ctx);
    CHECK(max_abs_diff(o, spikes) == 0.f);
    m->backward_multi(o, ctx);
  }
  // Binary truth tables.
  auto tt = [&](const char* c, float a, float s) {
    auto layer = build_layer(std::string("{type: sew_connect, connect: ") + c + "}", {Shape{1}, Shape{1}});
    RunContext ctx;
    ctx.phase = Phase::kEval;
    Tensor ta = Tensor::empty(Shape{1, 1, 1}), ts = Tensor::empty(Shape{1, 1, 1});
    ta[0] = a;
    ts[0] = s;
    return dynamic_cast<MergeLayer*>(layer.get())->forward_multi({ta, ts}, ctx)[0];
  };
  CHECK(tt("add", 1, 1) == 2.f);
  CHECK(tt("and", 1, 0) == 0.f);
  CHECK(tt("and", 1, 1) == 1.f);
  CHECK(tt("iand", 0, 1) == 1.f);
  CHECK(tt("iand", 1, 1) == 0.f);
  CHECK(tt("iand", 1, 0) == 0.f);
}

TEST_CASE("liaf learnable decay: gradients of x and w match finite differences", "[neurons][liaf][grad]") {
  const char* cases[] = {
      "{type: liaf, decay: 0.6, learn_decay: true, activation: sigmoid, spike_fn: primitive, "
      "detach_reset: false, v_threshold: 0.5, surrogate: {type: sigmoid, alpha: 4.0}}",
      "{type: liaf, tau: 3.0, learn_decay: true, per_channel: true, activation: tanh, "
      "spike_fn: primitive, detach_reset: false, surrogate: {type: sigmoid, alpha: 4.0}}",
      "{type: liaf, decay: 0.3, learn_decay: true, per_channel: true, threshold_related: true, "
      "activation: sigmoid, spike_fn: primitive, detach_reset: false, surrogate: {type: sigmoid, alpha: 4.0}}"};
  for (const char* yaml : cases) {
    INFO(yaml);
    const Shape in{2, 2, 2};
    auto layer = build_layer(yaml, {in});
    BoundLayer b = bind_for_test(*layer);
    REQUIRE(b.params.size() == 1);
    CHECK(check_gradients(*layer, b, random_tensor(in.prepend({6, 2}), 5, -0.3f, 1.5f)) == 0);
  }
  // The decay form starts at w = logit(decay): sigmoid(w) = decay.
  auto layer = build_layer("{type: liaf, decay: 0.62, learn_decay: true}", {Shape{3}});
  BoundLayer b = bind_for_test(*layer);
  CHECK(1.0 / (1.0 + std::exp(-b.params[0].value[0])) == Approx(0.62).epsilon(1e-6));
  // Without learn_decay there is no parameter (the existing behaviour).
  auto plain = build_layer("{type: liaf, decay: 0.5}", {Shape{3}});
  CHECK(plain->param_specs().empty());
  CHECK_THROWS_AS(build_layer("{type: liaf, decay: 1.0, learn_decay: true}", {Shape{3}}), ConfigError);
  CHECK_THROWS_AS(build_layer("{type: liaf, per_channel: true}", {Shape{3}}), ConfigError);
}
