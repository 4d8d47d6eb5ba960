#include <catch2/catch.hpp>

#include "soma/core/config_loader.hpp"
#include "soma/model/model_builder.hpp"
#include "support/gradcheck.hpp"

using namespace soma;

namespace {

std::unique_ptr<Model> build(const std::string& yaml, uint64_t seed = 1) {
  return build_model(ConfigNode::parse(yaml, "test.yaml"), seed);
}

}  // namespace

TEST_CASE("builder infers shapes and lays out parameters in one flat store", "[model]") {
  auto m = build(R"(
input: {shape: [2, 6, 6]}
layers:
  - {name: conv, type: conv2d, out_channels: 3, kernel: 3, padding: 1}
  - {name: lif, type: lif}
  - {name: pool, type: maxpool2d, kernel: 2}
  - {name: flat, type: flatten}
  - {name: fc, type: linear, out_features: 4}
)");
  CHECK(m->nodes().size() == 5);
  CHECK(m->nodes()[2].out_shape == Shape{3, 3, 3});
  CHECK(m->output_shape() == Shape{4});
  const ParamStore& ps = m->params();
  REQUIRE(ps.find_param("conv/weight"));
  CHECK(ps.find_param("conv/weight")->shape == Shape{3, 2, 3, 3});
  CHECK(ps.find_param("fc/weight")->shape == Shape{4, 27});
  // Views are bound into the flat buffer: changing the buffer changes the layer's weights.
  CHECK(ps.find_param("fc/weight")->offset % 16 == 0);
}

TEST_CASE("same seed gives the same weights, another seed other weights", "[model]") {
  const std::string yaml = "input: {shape: [5]}\nlayers:\n  - {type: linear, out_features: 3}\n";
  auto a = build(yaml, 7), b = build(yaml, 7), c = build(yaml, 8);
  const int64_t n = a->params().num_params();
  bool all_same = true, any_diff = false;
  for (int64_t i = 0; i < n; ++i) {
    all_same = all_same && a->params().values()[i] == b->params().values()[i];
    any_diff = any_diff || a->params().values()[i] != c->params().values()[i];
  }
  CHECK(all_same);
  CHECK(any_diff);
}

TEST_CASE("a DAG with fan-out sums gradients of both consumers", "[model][grad]") {
  // y = fc2(fc1(x)) + fc1(x): fc1's output feeds two nodes.
  auto m = build(R"(
input: {shape: [4]}
layers:
  - {name: fc1, type: linear, out_features: 3}
  - {name: fc2, type: linear, out_features: 3}
  - {name: sum, type: add, inputs: [fc2, fc1]}
)");
  Tensor x = testing::random_tensor(Shape{2, 3, 4}, 5);
  RunContext ctx;
  Tensor y = m->forward(x, ctx);
  Tensor r = testing::random_tensor(y.shape(), 6);
  m->params().zero_grads();
  Tensor gx = m->backward(r, ctx);
  // Finite differences on the input through the whole model.
  auto loss = [&]() {
    RunContext c;
    m->reset_state();
    Tensor out = m->forward(x, c);
    double s = 0;
    for (int64_t i = 0; i < out.numel(); ++i) s += double(out[i]) * r[i];
    return s;
  };
  for (int64_t i = 0; i < x.numel(); i += 3) {
    const float saved = x[i];
    x[i] = saved + 1e-2f;
    const double lp = loss();
    x[i] = saved - 1e-2f;
    const double lm = loss();
    x[i] = saved;
    CHECK(gx[i] == Approx((lp - lm) / 2e-2).margin(2e-3).epsilon(2e-2));
  }
}

TEST_CASE("builder errors point at the layer", "[model][config]") {
  CHECK_THROWS_WITH(build("input: {shape: [4]}\nlayers:\n  - {type: linear}\n"),
                    Catch::Contains("test.yaml:3:5") && Catch::Contains("out_features"));
  CHECK_THROWS_WITH(build("input: {shape: [4]}\nlayers:\n  - {type: add, inputs: [input]}\n"),
                    Catch::Contains("two or more"));
  CHECK_THROWS_WITH(build("input: {shape: [4]}\nlayers: []\n"), Catch::Contains("at least one layer"));
}

TEST_CASE("config overrides (--set) and extends merge with origins", "[config]") {
  const std::string dir = std::string(SOMA_SOURCE_DIR) + "/tests/configs/good/";
  ConfigNode root = load_config(dir + "digits_base.yaml",
                                {"train.optimizer.lr=0.5", "model.layers[1].out_features=9"});
  CHECK(root.child("train").child("optimizer").get_float("lr") == 0.5f);
  CHECK(root.child("model").child("layers")[1].get_int("out_features") == 9);
  CHECK_THROWS_WITH(load_config(dir + "digits_base.yaml", {"model.layers[9].x=1"}),
                    Catch::Contains("--set model.layers[9].x=1"));
  CHECK_THROWS_WITH(load_config(dir + "digits_base.yaml", {"novalue"}),
                    Catch::Contains("expected key.path=value"));
}
