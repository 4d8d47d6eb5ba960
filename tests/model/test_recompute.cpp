// model.recompute (activation checkpointing): bit-identical training with and without it, less
// memory kept between forward and backward, and strict validation of the key.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>

#include "soma/core/config_loader.hpp"
#include "soma/model/model_builder.hpp"
#include "soma/tensor/allocator.hpp"
#include "support/gradcheck.hpp"

using namespace soma;

namespace {

std::unique_ptr<Model> build(const std::string& yaml, const std::string& recompute) {
  const std::string text = recompute.empty() ? yaml : yaml + "recompute: " + recompute + "\n";
  return build_model(ConfigNode::parse(text, "test.yaml"), 3);
}

void append(std::vector<float>& out, const float* p, int64_t n) { out.insert(out.end(), p, p + n); }

// Everything a few SGD steps produce: outputs, input gradients, parameter gradients, parameters
// and buffers (running statistics) after every step.
std::vector<float> train_trace(Model& m, const Shape& x_shape, int steps) {
  std::vector<float> trace;
  ParamStore& ps = m.params();
  for (int s = 0; s < steps; ++s) {
    const Tensor x = testing::random_tensor(x_shape, 10 + s, -1.f, 2.f);
    RunContext ctx;
    ps.zero_grads();
    const Tensor y = m.forward(x, ctx);
    const Tensor r = testing::random_tensor(y.shape(), 20 + s);
    const Tensor gx = m.backward(r, ctx);
    append(trace, y.data(), y.numel());
    append(trace, gx.data(), gx.numel());
    append(trace, ps.grads(), ps.num_params());
    for (int64_t i = 0; i < ps.num_params(); ++i) ps.values()[i] -= 0.05f * ps.grads()[i];
    append(trace, ps.values(), ps.num_params());
    append(trace, ps.buffer_values(), ps.num_buffer_values());
  }
  // And an eval forward with the running statistics.
  RunContext eval;
  eval.phase = Phase::kEval;
  const Tensor y = m.forward(testing::random_tensor(x_shape, 99, -1.f, 2.f), eval);
  append(trace, y.data(), y.numel());
  return trace;
}

bool bit_identical(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Live bytes right after forward and the highest live bytes seen at any node of backward,
// relative to before the forward.
struct StepMemory {
  int64_t after_forward = 0, peak = 0;
};

StepMemory step_memory(Model& m, const Tensor& x) {
  RunContext ctx;
  m.params().zero_grads();
  const int64_t base = allocator_stats().live_bytes;
  StepMemory mem;
  Tensor y = m.forward(x, ctx);
  mem.after_forward = allocator_stats().live_bytes - base;
  mem.peak = mem.after_forward;
  const Tensor r = testing::random_tensor(y.shape(), 5);
  y = Tensor();
  m.backward(r, ctx, [&](size_t) {
    mem.peak = std::max(mem.peak, allocator_stats().live_bytes - base);
  });
  return mem;
}

const char* kCsnn = R"(
input: {shape: [2, 8, 8]}
layers:
  - {name: conv1, type: conv2d, out_channels: 6, kernel: 3, padding: 1}
  - {name: bn1, type: batchnorm}
  - {name: lif1, type: lif}
  - {name: pool1, type: maxpool2d, kernel: 2}
  - {name: conv2, type: conv2d, out_channels: 6, kernel: 3, padding: 1, bias: false}
  - {name: bn2, type: batchnorm}
  - {name: relu, type: relu}
  - {name: flat, type: flatten}
  - {name: fc1, type: linear, out_features: 12}
  - {name: lif2, type: lif}
  - {name: fc2, type: linear, out_features: 3}
)";

const char* kResidual = R"(
input: {shape: [2, 8, 8]}
layers:
  - {name: stem, type: conv2d, out_channels: 4, kernel: 3, padding: 1}
  - {name: bn0, type: batchnorm}
  - {name: lif0, type: lif}
  - {name: c1, type: conv2d, out_channels: 4, kernel: 3, padding: 1, bias: false}
  - {name: b1, type: tdbn, alpha: 0.7}
  - {name: l1, type: lif}
  - {name: c2, type: conv2d, out_channels: 4, kernel: 3, padding: 1, bias: false}
  - {name: b2, type: bntt, time_steps: 4}
  - {name: skip, type: add, inputs: [b2, lif0]}
  - {name: l2, type: lif}
  - {name: cat, type: concat, inputs: [l2, skip]}
  - {name: gap, type: global_avgpool2d}
  - {name: fc, type: linear, out_features: 3}
)";

}  // namespace

TEST_CASE("recompute: stateless picks the runs that save memory", "[model][recompute]") {
  auto m = build(kCsnn, "stateless");
  // conv1+bn1 (bn1 keeps x_hat), pool1 is skipped (it would need lif1's output kept), then
  // conv2, bn2, relu, flat, fc1 from pool1's output (kept by conv2 anyway); fc2 alone would save
  // nothing (it keeps its input either way).
  const std::vector<std::pair<int, int>> want{{0, 1}, {4, 8}};
  CHECK(m->recompute_runs() == want);
  auto r = build(kResidual, "stateless");
  // skip reads lif0 (not recomputed) and keeps nothing itself, so it is left out, and so are
  // cat (reads l2), gap (reads cat) and fc (alone).
  const std::vector<std::pair<int, int>> want_r{{0, 1}, {3, 4}, {6, 7}};
  CHECK(r->recompute_runs() == want_r);
  CHECK(build(kCsnn, "none")->recompute_runs().empty());
  CHECK(build(kCsnn, "")->recompute_runs().empty());
}

TEST_CASE("recompute: training is bit-identical on a conv-BN-LIF-pool-linear model",
          "[model][recompute]") {
  const Shape xs{4, 3, 2, 8, 8};
  auto base = build(kCsnn, "");
  const std::vector<float> want = train_trace(*base, xs, 3);
  for (const std::string rec : {"stateless", "[conv1, bn1, pool1, conv2, bn2, relu, flat, fc1, fc2]",
                                "[bn1, pool1, flat, fc2]"}) {
    INFO("recompute: " << rec);
    auto m = build(kCsnn, rec);
    CHECK(!m->recompute_runs().empty());
    CHECK(bit_identical(train_trace(*m, xs, 3), want));
  }
}

TEST_CASE("recompute: training is bit-identical on a residual model with tdbn, bntt, add, concat",
          "[model][recompute]") {
  const Shape xs{4, 3, 2, 8, 8};
  auto base = build(kResidual, "");
  const std::vector<float> want = train_trace(*base, xs, 3);
  for (const std::string rec :
       {"stateless", "[stem, bn0, c1, b1, c2, b2, skip, cat, gap, fc]", "[b2, skip]"}) {
    INFO("recompute: " << rec);
    auto m = build(kResidual, rec);
    CHECK(bit_identical(train_trace(*m, xs, 3), want));
  }
}

TEST_CASE("recompute: a residual block's parts can be named", "[model][recompute]") {
  const std::string yaml = R"(
input: {shape: [2, 8, 8]}
layers:
  - {name: res1, type: spiking_resnet_block, out_channels: 4, stride: 2}
  - {name: flat, type: flatten}
  - {name: fc, type: linear, out_features: 3}
)";
  const Shape xs{3, 2, 2, 8, 8};
  auto base = build(yaml, "");
  const std::vector<float> want = train_trace(*base, xs, 2);
  auto m = build(yaml, "stateless");
  CHECK(!m->recompute_runs().empty());
  CHECK(bit_identical(train_trace(*m, xs, 2), want));
}

TEST_CASE("recompute: less memory is kept between forward and backward", "[model][recompute]") {
  const Shape xs{8, 4, 2, 8, 8};
  const Tensor x = testing::random_tensor(xs, 1, -1.f, 2.f);
  auto base = build(kCsnn, "");
  auto m = build(kCsnn, "stateless");
  // Warm both up once so lazily sized buffers exist in both.
  step_memory(*base, x);
  step_memory(*m, x);
  const StepMemory a = step_memory(*base, x), b = step_memory(*m, x);
  // Not kept any more: bn1's x_hat [8, 4, 6, 8, 8]; bn2's x_hat, relu's input and fc1's input
  // (the flattened relu output), each [8, 4, 6, 4, 4]. pool1's output stays: the model keeps it
  // for the recompute instead of conv2 (the same buffer).
  const int64_t bn1 = 8 * 4 * 6 * 64 * 4, small = 8 * 4 * 6 * 16 * 4;
  INFO("kept after forward: " << a.after_forward << " -> " << b.after_forward << " bytes; peak "
                              << a.peak << " -> " << b.peak);
  CHECK(a.after_forward - b.after_forward >= bn1 + 2 * small);
  CHECK(b.peak < a.peak);
}

TEST_CASE("recompute: the key is validated with file positions", "[model][recompute]") {
  auto error_of = [](const std::string& rec) -> std::string {
    try {
      build(kCsnn, rec);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  };
  using Catch::Matchers::Contains;
  CHECK_THAT(error_of("[conv1, nope]"), Contains("test.yaml:15") && Contains("unknown layer 'nope'"));
  CHECK_THAT(error_of("[lif1]"), Contains("test.yaml:15") && Contains("cannot be recomputed"));
  CHECK_THAT(error_of("[bn1, bn1]"), Contains("listed twice"));
  CHECK_THAT(error_of("all"), Contains("test.yaml:15") && Contains("unknown value 'all'"));
  CHECK_THAT(error_of("{a: 1}"), Contains("expected `none`, `stateless`"));
  // dropout draws a random mask: never recomputed.
  try {
    build("input: {shape: [4]}\nlayers:\n  - {name: d, type: dropout}\n", "[d]");
    FAIL("dropout accepted");
  } catch (const ConfigError& e) {
    CHECK_THAT(e.what(), Contains("dropout") && Contains("cannot be recomputed"));
  }
}
