// Parameter-only backward (RunContext::model_input_grad = false, as the trainer runs it): the
// parameter gradients are bit-identical to a full backward, no gradient for the data is
// returned, and the first product layer is told not to compute its input gradient.
#include <catch2/catch.hpp>

#include <cstring>

#include "soma/core/config_loader.hpp"
#include "soma/model/model_builder.hpp"
#include "support/gradcheck.hpp"

using namespace soma;

namespace {

// Records what the model asked of each backward() through ctx.need_input_grad.
std::vector<float> param_grads(Model& m, const Tensor& x, bool model_input_grad, Tensor* gx) {
  RunContext ctx;
  ctx.model_input_grad = model_input_grad;
  m.reset_state();
  m.params().zero_grads();
  const Tensor y = m.forward(x, ctx);
  const Tensor r = testing::random_tensor(y.shape(), 7);
  *gx = m.backward(r, ctx);
  CHECK(ctx.need_input_grad);  // restored after every node
  const float* g = m.params().grads();
  return std::vector<float>(g, g + m.params().num_params());
}

void check_same_param_grads(const char* yaml, const Shape& xs) {
  auto m = build_model(ConfigNode::parse(yaml, "test.yaml"), 3);
  const Tensor x = testing::random_tensor(xs, 3, -1.f, 2.f);
  Tensor gx_full, gx_params;
  const std::vector<float> full = param_grads(*m, x, true, &gx_full);
  const std::vector<float> only = param_grads(*m, x, false, &gx_params);
  CHECK(gx_full.defined());
  CHECK(gx_full.shape() == x.shape());
  CHECK_FALSE(gx_params.defined());
  REQUIRE(full.size() == only.size());
  CHECK(std::memcmp(full.data(), only.data(), full.size() * sizeof(float)) == 0);
  bool any_nonzero = false;
  for (float v : only) any_nonzero = any_nonzero || v != 0.f;
  CHECK(any_nonzero);
}

}  // namespace

TEST_CASE("input grad: a parameter-only backward gives the same parameter gradients",
          "[model][input_grad]") {
  SECTION("conv first, then BN, LIF, pool, linear") {
    check_same_param_grads(R"(
input: {shape: [2, 8, 8]}
layers:
  - {name: conv1, type: conv2d, out_channels: 6, kernel: 3, padding: 1}
  - {name: bn1, type: batchnorm}
  - {name: lif1, type: lif}
  - {name: pool1, type: maxpool2d, kernel: 2}
  - {name: flat, type: flatten}
  - {name: fc1, type: linear, out_features: 12}
  - {name: lif2, type: lif}
  - {name: fc2, type: linear, out_features: 3}
)",
                           Shape{4, 3, 2, 8, 8});
  }
  SECTION("parameter-free layers before the first linear, and a fan-out") {
    check_same_param_grads(R"(
input: {shape: [2, 6, 6]}
layers:
  - {name: pool0, type: avgpool2d, kernel: 2}
  - {name: flat, type: flatten}
  - {name: fc1, type: linear, out_features: 10}
  - {name: lif1, type: lif}
  - {name: fc2, type: linear, out_features: 10, inputs: [flat]}
  - {name: sum, type: add, inputs: [lif1, fc2]}
  - {name: fc3, type: linear, out_features: 3}
)",
                           Shape{3, 2, 2, 6, 6});
  }
}

TEST_CASE("input grad: the model tells only layers fed by parameters to compute grad_x",
          "[model][input_grad]") {
  auto m = build_model(ConfigNode::parse(R"(
input: {shape: [4]}
layers:
  - {name: fc1, type: linear, out_features: 5}
  - {name: fc2, type: linear, out_features: 3}
)",
                                         "test.yaml"),
                       1);
  // A linear layer asked for no input gradient returns an empty tensor, otherwise [T, N, in].
  const Tensor x = testing::random_tensor(Shape{2, 3, 4}, 1);
  RunContext ctx;
  const Tensor y = m->nodes()[0].layer->forward(x, ctx);
  ctx.need_input_grad = false;
  CHECK_FALSE(m->nodes()[0].layer->backward(testing::random_tensor(y.shape(), 2), ctx).defined());
  m->nodes()[0].layer->forward(x, ctx);
  ctx.need_input_grad = true;
  const Tensor gx = m->nodes()[0].layer->backward(testing::random_tensor(y.shape(), 2), ctx);
  REQUIRE(gx.defined());
  CHECK(gx.shape() == x.shape());
}
