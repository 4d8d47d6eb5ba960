// BPTT gradients of the neuron layers: finite differences over whole windows (spike_fn:
// primitive, reset not detached), and an independent forward-mode reference for every
// configuration (heaviside spikes, detached resets), and PLIF's w by finite differences.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "layers/neurons/neuron_test_util.hpp"
#include "support/gradcheck.hpp"

using namespace soma;
using namespace soma::testing;

namespace {

// Input in [lo, hi): drives the membranes across the threshold a few times per window.
Tensor window(const Shape& per_step, int64_t T, int64_t N, uint64_t seed, float lo = -0.2f,
              float hi = 1.6f) {
  return random_tensor(per_step.prepend({T, N}), seed, lo, hi);
}

void fd_check(const std::string& yaml, const Shape& per_step, float lo = -0.2f, float hi = 1.6f,
              GradCheckOptions opt = {}) {
  INFO("config " << yaml << ", per-step shape " << per_step.str());
  auto layer = build_layer(yaml, per_step);
  BoundLayer bound = bind_for_test(*layer);
  const Tensor x = window(per_step, 6, 3, 11, lo, hi);
  CHECK(check_gradients(*layer, bound, x, opt) == 0);
}

// Analytic grad_x against the dual-number reference at every coordinate.
void reference_check(const std::string& yaml, const Shape& per_step, float lo = -0.2f,
                     float hi = 1.6f) {
  INFO("config " << yaml << ", per-step shape " << per_step.str());
  auto layer = build_layer(yaml, per_step);
  BoundLayer bound = bind_for_test(*layer);
  const Tensor x = window(per_step, 5, 2, 23, lo, hi);
  RunContext ctx;
  layer->reset_state();
  Tensor y = layer->forward(x, ctx);
  Tensor r = random_tensor(y.shape(), 5);
  Tensor gx = layer->backward(r, ctx);
  int bad = 0;
  for (int64_t j = 0; j < x.numel(); ++j) {
    const double ref = reference_grad_x(as_neuron(*layer), x, r, j);
    if (std::fabs(ref - gx[j]) > 1e-4 + 1e-4 * std::fabs(ref)) {
      ++bad;
      INFO("grad_x[" << j << "]: analytic " << gx[j] << " vs reference " << ref);
      CHECK(gx[j] == Approx(ref).margin(1e-4));
    }
  }
  CHECK(bad == 0);
}

}  // namespace

TEST_CASE("neuron BPTT gradients match finite differences (primitive spikes)", "[neurons][grad]") {
  const Shape flat{5};
  const Shape conv{2, 3, 2};
  for (const char* reset : {"hard", "soft"}) {
    const std::string common =
        std::string(", spike_fn: primitive, detach_reset: false, reset: ") + reset;
    fd_check("{type: if" + common + "}", flat, -0.3f, 0.9f);
    fd_check("{type: lif, tau: 2.0" + common + "}", flat);
    fd_check("{type: lif, tau: 3.0, decay_input: false" + common + "}", conv, -0.2f, 0.8f);
    fd_check("{type: lif, decay: 0.6" + common + "}", conv, -0.2f, 0.8f);
    fd_check("{type: lif, tau: 2.0, v_reset: -0.3, v_threshold: 0.8" + common + "}", flat);
    fd_check("{type: lif, tau: 2.0, decay_input: false, v_reset: 0.2" + common + "}", flat,
             -0.2f, 0.8f);
    fd_check("{type: plif, init_tau: 2.5" + common + "}", flat);
    fd_check("{type: plif, init_tau: 2.0, v_reset: 0.1, per_channel: true" + common + "}", conv);
    fd_check("{type: plif, init_tau: 3.0, decay_input: false, per_channel: true" + common + "}",
             flat, -0.2f, 0.8f);
    fd_check("{type: liaf, tau: 2.0, activation: sigmoid" + common + "}", flat);
    fd_check("{type: liaf, decay: 0.5, activation: tanh, threshold_related: true" + common + "}",
             conv);
    // selu's derivative jumps at 0: positive input keeps h > 0.
    fd_check("{type: liaf, tau: 2.0, decay_input: false, activation: selu" + common + "}", flat,
             0.2f, 0.8f);
    fd_check("{type: liaf, tau: 2.0, activation: identity" + common + "}", flat);
  }
  // relu / leaky_relu have a kink at 0: keep h > 0 (positive input, hard reset to 0).
  fd_check("{type: liaf, tau: 2.0, activation: relu, reset: hard, spike_fn: primitive, "
           "detach_reset: false}", Shape{5}, 0.1f, 1.6f);
  fd_check("{type: liaf, tau: 2.0, activation: leaky_relu, negative_slope: 0.1, reset: hard, "
           "spike_fn: primitive, detach_reset: false}", Shape{5}, 0.1f, 1.6f);
  fd_check("{type: li, tau: 2.0}", flat, -1.f, 1.f);
  fd_check("{type: li, tau: 4.0, decay_input: false, v_reset: 0.5}", conv, -1.f, 1.f);
}

TEST_CASE("LIF gradients match finite differences for every surrogate", "[neurons][grad]") {
  for (const char* sg : {"{type: sigmoid}", "{type: atan, alpha: 3.0}", "{type: gaussian}",
                         "{type: fast_sigmoid, alpha: 4.0}", "{type: triangle, w: 1.0}",
                         "{type: rectangular, a: 2.0}"}) {
    for (const char* reset : {"hard", "soft"}) {
      // Piecewise surrogates have kinks; a smaller step keeps probes from straddling them.
      GradCheckOptions opt;
      opt.eps = 2e-3;
      opt.rtol = 3e-2;
      opt.atol = 3e-3;
      fd_check(std::string("{type: lif, tau: 2.0, spike_fn: primitive, reset: ") + reset +
                   ", surrogate: " + sg + "}",
               Shape{6}, -0.2f, 1.6f, opt);
    }
  }
}

TEST_CASE("neuron BPTT gradients match a forward-mode reference in every mode",
          "[neurons][grad]") {
  const Shape flat{4};
  const Shape conv{3, 2, 2};
  for (const char* spike_fn : {"heaviside", "primitive"})
    for (const char* detach : {"true", "false"})
      for (const char* reset : {"hard", "soft"}) {
        const std::string common = std::string(", spike_fn: ") + spike_fn +
                                   ", detach_reset: " + detach + ", reset: " + reset;
        reference_check("{type: if" + common + "}", flat, -0.3f, 0.9f);
        reference_check("{type: lif, tau: 2.0" + common + "}", flat);
        reference_check("{type: lif, tau: 2.0, decay_input: false" + common + "}", conv, -0.2f,
                        0.8f);
        reference_check("{type: lif, decay: 0.7, v_reset: -0.2" + common + "}", conv, -0.2f, 0.8f);
        reference_check("{type: lif, tau: 2.0, surrogate: {type: gaussian, sigma: 0.4}" + common +
                            "}",
                        flat);
        reference_check("{type: plif, init_tau: 2.0, per_channel: true" + common + "}", conv);
        reference_check("{type: liaf, tau: 2.0, activation: relu" + common + "}", flat);
        reference_check("{type: liaf, tau: 2.0, activation: selu, threshold_related: true" +
                            common + "}",
                        conv);
      }
  reference_check("{type: li, tau: 2.0, v_reset: 0.3}", flat, -1.f, 1.f);
}

TEST_CASE("detach_reset changes the gradient exactly as derived by hand", "[neurons][grad]") {
  // One element, T = 2, IF (a = b = 1, c = 0), hard reset, v_threshold 1, v_reset 0, atan(2),
  // heaviside spikes, x = [1.5, 0.2], dL/dy = [0, 1] (only s[1] matters).
  //   h0 = 1.5, s0 = 1, v0 = 0;  h1 = v0 + 0.2 = 0.2, s1 = 0.
  //   dL/dh1 = sg(0.2 - 1) = sg(-0.8) = 1 / (1 + (0.8 pi)^2) = 0.1366 (atan, alpha 2)
  //   dv0/dh0 = (1 - s0) + (v_reset - h0) sg(h0 - 1) = 0 - 1.5 sg(0.5)     (not detached)
  //           = 0                                                          (detached)
  //   dL/dx0 = dL/dh1 * dv0/dh0;  dL/dx1 = dL/dh1.
  const double pi = 3.14159265358979;
  const double sg_m08 = 1.0 / (1.0 + 0.8 * 0.8 * pi * pi);
  const double sg_05 = 1.0 / (1.0 + 0.25 * pi * pi);
  Tensor x(Shape{2, 1, 1});
  x[0] = 1.5f;
  x[1] = 0.2f;
  Tensor g(Shape{2, 1, 1});
  g[1] = 1.f;
  for (bool detach : {false, true}) {
    auto layer = build_layer(
        std::string("{type: if, detach_reset: ") + (detach ? "true" : "false") + "}", Shape{1});
    RunContext ctx;
    Tensor y = layer->forward(x, ctx);
    CHECK(y[0] == 1.f);
    CHECK(y[1] == 0.f);
    Tensor gx = layer->backward(g, ctx);
    CHECK(gx[1] == Approx(sg_m08));
    CHECK(gx[0] == Approx(detach ? 0.0 : -1.5 * sg_05 * sg_m08));
  }
}

TEST_CASE("PLIF w gradient matches finite differences (scalar and per channel)",
          "[neurons][grad][plif]") {
  GradCheckOptions opt;
  opt.check_input = false;
  for (const char* extra : {"", ", per_channel: true", ", per_channel: true, decay_input: false",
                            ", reset: soft, v_reset: -0.2"}) {
    const std::string yaml =
        std::string("{type: plif, init_tau: 2.0, spike_fn: primitive") + extra + "}";
    INFO(yaml);
    auto layer = build_layer(yaml, Shape{3, 2, 2});
    BoundLayer bound = bind_for_test(*layer);
    REQUIRE(bound.params.size() == 1);
    CHECK(bound.params[0].name == "w");
    const int64_t C = bound.params[0].value.numel();
    CHECK(C == (std::string(extra).find("per_channel") != std::string::npos ? 3 : 1));
    // Different w per channel, so the channels really differ.
    for (int64_t c = 0; c < C; ++c) bound.params[0].value[c] = -0.5f + 0.4f * float(c);
    const Tensor x = window(Shape{3, 2, 2}, 6, 3, 17, -0.2f, 1.2f);
    CHECK(check_gradients(*layer, bound, x, opt) == 0);
  }
}
