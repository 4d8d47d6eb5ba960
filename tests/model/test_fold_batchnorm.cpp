// Folding tdbn / batchnorm into the preceding conv2d / linear for inference.
#include <catch2/catch.hpp>

#include "soma/layers/tdbn.hpp"
#include "soma/model/fold_batchnorm.hpp"
#include "soma/model/model_builder.hpp"
#include "support/gradcheck.hpp"

using namespace soma;
using namespace soma::testing;

namespace {

std::unique_ptr<Model> build(const std::string& yaml) {
  return build_model(ConfigNode::parse(yaml, "fold.yaml"), 5);
}

// A few training forwards to move the running statistics, and non-trivial affine parameters.
void warm_up(Model& m, const Tensor& x) {
  ParamStore& ps = m.params();
  for (const auto& seg : ps.params())
    if (seg.param == "weight" || seg.param == "bias") {
      if (seg.layer.find("bn") == std::string::npos) continue;
      Tensor v = ps.value(seg);
      for (int64_t i = 0; i < v.numel(); ++i) v[i] += 0.1f * float(i % 5) - 0.15f;
    }
  for (int k = 0; k < 4; ++k) {
    RunContext ctx;
    m.reset_state();
    m.forward(x, ctx);
    m.reset_state();
  }
}

Tensor eval(Model& m, const Tensor& x) {
  RunContext ctx;
  ctx.phase = Phase::kEval;
  m.reset_state();
  return m.forward(x, ctx);
}

}  // namespace

TEST_CASE("folding conv->tdbn and conv->batchnorm keeps inference outputs", "[model][fold]") {
  const std::string yaml = R"(
input: {shape: [2, 6, 6]}
layers:
  - {name: c1, type: conv2d, out_channels: 4, kernel: 3, padding: 1, bias: false}
  - {name: bn1, type: tdbn, alpha: 0.7071, v_threshold: 0.5}
  - {name: sn1, type: lif, tau: 2.0, v_threshold: 0.5}
  - {name: c2, type: conv2d, out_channels: 3, kernel: 3, bias: true}
  - {name: bn2, type: batchnorm, eps: 1.0e-3}
  - {name: c3, type: conv2d, out_channels: 3, kernel: 1, bias: false}
  - {name: bn3, type: batchnorm}
  - {name: flat, type: flatten}
  - {name: fc, type: linear, out_features: 5}
  - {name: bn4, type: tdbn, alpha: 2.0}
)";
  auto m = build(yaml);
  const Tensor x = random_tensor(Shape{3, 4, 2, 6, 6}, 8, 0.f, 1.f);
  warm_up(*m, x);
  const Tensor before = eval(*m, x);
  const FoldResult r = fold_batchnorm_into_conv(*m);
  CHECK(r.folded.size() == 4);
  CHECK(r.skipped.empty());
  const Tensor after = eval(*m, x);
  float scale = 0.f;
  for (int64_t i = 0; i < before.numel(); ++i) scale = std::max(scale, std::fabs(before[i]));
  INFO("max |y| " << scale);
  CHECK(max_abs_diff(before, after) <= 1e-5f * std::max(1.f, scale));
  // The spiking layer in between saw (nearly) the same input: its spikes are the same.
  auto* td = dynamic_cast<TdBatchNormLayer*>(const_cast<Layer*>(m->find("bn1")->layer.get()));
  REQUIRE(td);
  CHECK(td->folded());
  // A folded tdbn is inference only.
  RunContext train;
  CHECK_THROWS(m->forward(x, train));
  // Folding twice changes nothing further: every norm is already folded.
  const FoldResult again = fold_batchnorm_into_conv(*m);
  const Tensor twice = eval(*m, x);
  CHECK(max_abs_diff(before, twice) <= 2e-5f * std::max(1.f, scale));
  CHECK(again.folded.empty());
  auto* bn = dynamic_cast<BatchNormLayer*>(const_cast<Layer*>(m->find("bn2")->layer.get()));
  REQUIRE(bn);
  CHECK(bn->folded());
}

TEST_CASE("folding skips convs whose output fans out", "[model][fold]") {
  auto m = build(R"(
input: {shape: [2, 4, 4]}
layers:
  - {name: c1, type: conv2d, out_channels: 2, kernel: 1, bias: false}
  - {name: bn1, type: tdbn}
  - {name: s, type: add, inputs: [bn1, c1]}
)");
  const Tensor x = random_tensor(Shape{2, 3, 2, 4, 4}, 1);
  warm_up(*m, x);
  const Tensor before = eval(*m, x);
  const FoldResult r = fold_batchnorm_into_conv(*m);
  CHECK(r.folded.empty());
  REQUIRE(r.skipped.size() == 1);
  CHECK(max_abs_diff(before, eval(*m, x)) == 0.f);
}

TEST_CASE("folding a whole residual network gives the same predictions", "[model][fold]") {
  auto m = build(R"(
input: {shape: [2, 8, 8]}
layers:
  - {name: stem, type: conv_liaf, out_channels: 4, norm: tdbn, neuron: {type: lif, v_threshold: 0.5}}
  - {name: r1, type: spiking_resnet_block, out_channels: 4, neuron: {type: lif, v_threshold: 0.5}}
  - {name: r2, type: spiking_resnet_block, out_channels: 8, stride: 2, neuron: {type: lif, v_threshold: 0.5}}
  - {name: g, type: global_avgpool2d}
  - {name: fc, type: linear, out_features: 3}
)");
  const Tensor x = random_tensor(Shape{4, 6, 2, 8, 8}, 2, 0.f, 1.f);
  warm_up(*m, x);
  const Tensor before = eval(*m, x);
  const FoldResult r = fold_batchnorm_into_conv(*m);
  CHECK(r.folded.size() == 6);  // stem + 2 + (2 + projection)
  CHECK(max_abs_diff(before, eval(*m, x)) <= 1e-4f);
}
