// Inference fusion of [norm ->] neuron [-> 2x2 max pool] (Model::forward in eval without
// keep_for_backward): the same outputs as running the layers one by one, up to float rounding,
// for batchnorm and tdbn into LIF, IF, PLIF (shared learned decay) and LIAF (analog output).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>

#include "soma/core/config_loader.hpp"
#include "soma/model/model_builder.hpp"
#include "support/gradcheck.hpp"

using namespace soma;

namespace {

// A few SGD steps so that running statistics, gamma and beta are not at their initial values.
void train_a_little(Model& m, const Shape& xs) {
  for (int s = 0; s < 3; ++s) {
    RunContext ctx;
    m.reset_state();
    m.params().zero_grads();
    const Tensor y = m.forward(testing::random_tensor(xs, 30 + s, -1.f, 2.f), ctx);
    m.backward(testing::random_tensor(y.shape(), 40 + s), ctx);
    for (int64_t i = 0; i < m.params().num_params(); ++i)
      m.params().values()[i] -= 0.1f * m.params().grads()[i];
  }
}

Tensor eval_forward(Model& m, const Tensor& x, bool keep) {
  RunContext ctx;
  ctx.phase = Phase::kEval;
  ctx.keep_for_backward = keep;  // keep = true: the pairs run unfused
  m.reset_state();
  return m.forward(x, ctx);
}

}  // namespace

TEST_CASE("eval fusion: [norm ->] neuron [-> max pool] in one pass equals the layers",
          "[model][fusion]") {
  const char* tail = R"(
  - {name: flat, type: flatten}
  - {name: fc, type: linear, out_features: 4}
)";
  const std::string avg = "  - {name: pool, type: avgpool2d, kernel: 2}\n";
  const std::string max = "  - {name: pool, type: maxpool2d, kernel: 2}\n";
  for (const std::string& body : {
           "  - {name: bn, type: batchnorm}\n  - {name: n, type: lif, v_threshold: 0.5}\n" + avg,
           "  - {name: bn, type: tdbn, alpha: 1.0}\n  - {name: n, type: plif}\n" + avg,
           "  - {name: bn, type: batchnorm}\n  - {name: n, type: liaf, activation: relu}\n" + avg,
           "  - {name: bn, type: batchnorm}\n  - {name: n, type: lif, v_threshold: 0.5}\n" + max,
           "  - {name: n, type: liaf, activation: relu}\n" + max,
           "  - {name: bn, type: tdbn, alpha: 1.0}\n  - {name: n, type: if}\n" + max}) {
    for (const int64_t size : {8, 6, 7}) {  // 7: odd planes, the pool is not fused
      INFO(body << "size " << size);
      const std::string yaml =
          "input: {shape: [2, " + std::to_string(size) + ", " + std::to_string(size) +
          "]}\nlayers:\n  - {name: conv, type: conv2d, out_channels: 6, kernel: 3, padding: 1}\n" +
          body + tail;
      auto m = build_model(ConfigNode::parse(yaml, "test.yaml"), 5);
      const Shape xs{6, 4, 2, size, size};
      train_a_little(*m, xs);
      const Tensor x = testing::random_tensor(xs, 77, -1.f, 2.f);
      const Tensor fused = eval_forward(*m, x, false);
      const Tensor plain = eval_forward(*m, x, true);
      REQUIRE(fused.shape() == plain.shape());
      double max_diff = 0.0, scale = 0.0;
      for (int64_t i = 0; i < plain.numel(); ++i) {
        max_diff = std::max(max_diff, double(std::fabs(fused[i] - plain[i])));
        scale = std::max(scale, double(std::fabs(plain[i])));
      }
      CHECK(scale > 0.0);                      // the network is not silent
      CHECK(max_diff <= 1e-5 * scale + 1e-6);  // rounding only (a flipped spike would show)
    }
  }
}

TEST_CASE("eval fusion: a norm read by two layers is not fused", "[model][fusion]") {
  auto m = build_model(ConfigNode::parse(R"(
input: {shape: [3, 4, 4]}
layers:
  - {name: bn, type: batchnorm}
  - {name: n, type: lif}
  - {name: skip, type: add, inputs: [n, bn]}
  - {name: flat, type: flatten}
)",
                                         "test.yaml"),
                       2);
  const Shape xs{3, 2, 3, 4, 4};
  train_a_little(*m, xs);
  const Tensor x = testing::random_tensor(xs, 5, -1.f, 2.f);
  const Tensor a = eval_forward(*m, x, false), b = eval_forward(*m, x, true);
  for (int64_t i = 0; i < a.numel(); ++i) REQUIRE(a[i] == b[i]);
}

namespace {

// One training step: output, then every parameter gradient. With `unfused` the forward asks for
// layer stats, which runs every layer on its own.
std::vector<float> train_step_trace(Model& m, const Tensor& x, bool unfused) {
  RunContext ctx;
  ctx.model_input_grad = false;
  m.reset_state();
  m.params().zero_grads();
  std::vector<LayerStats> stats;
  const Tensor y = m.forward(x, ctx, unfused ? &stats : nullptr);
  m.backward(testing::random_tensor(y.shape(), 8), ctx);
  std::vector<float> t(y.data(), y.data() + y.numel());
  t.insert(t.end(), m.params().grads(), m.params().grads() + m.params().num_params());
  return t;
}

}  // namespace

TEST_CASE("training fusion: neuron -> max pool as one step is bit-identical", "[model][fusion]") {
  for (const auto& [h, w] : {std::pair<int64_t, int64_t>{8, 8}, {80, 64}, {7, 7}}) {
    for (const char* neuron : {"{name: n, type: lif, v_threshold: 0.3}",
                               "{name: n, type: liaf, activation: relu}",
                               "{name: n, type: if, v_threshold: 0.3, detach_reset: true}"}) {
      INFO(h << "x" << w << " " << neuron);
      const std::string yaml = "input: {shape: [2, " + std::to_string(h) + ", " + std::to_string(w) +
                               "]}\nlayers:\n"
                               "  - {name: conv, type: conv2d, out_channels: 3, kernel: 3, padding: 1}\n"
                               "  - {name: bn, type: batchnorm}\n  - " + std::string(neuron) +
                               "\n  - {name: pool, type: maxpool2d, kernel: 2}\n"
                               "  - {name: flat, type: flatten}\n"
                               "  - {name: fc, type: linear, out_features: 3}\n";
      auto m = build_model(ConfigNode::parse(yaml, "test.yaml"), 5);
      const Tensor x = testing::random_tensor(Shape{4, 2, 2, h, w}, 12, -1.f, 2.f);
      const std::vector<float> fused = train_step_trace(*m, x, false);
      const std::vector<float> plain = train_step_trace(*m, x, true);
      REQUIRE(fused.size() == plain.size());
      CHECK(std::memcmp(fused.data(), plain.data(), fused.size() * sizeof(float)) == 0);
      bool any = false;
      for (float v : fused) any = any || v != 0.f;
      CHECK(any);
    }
  }
}
