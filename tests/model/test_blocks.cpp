// Block expansion (residual blocks, conv/dense LIAF blocks): structure, error positions,
// gradients of every block type and connect function through the built graph, SEW/MS identity.
#include <catch2/catch.hpp>

#include <string>

#include "model/model_gradcheck.hpp"
#include "soma/layers/tdbn.hpp"
#include "soma/model/model_builder.hpp"

using namespace soma;
using namespace soma::testing;

namespace {

std::unique_ptr<Model> build(const std::string& yaml, uint64_t seed = 3) {
  return build_model(ConfigNode::parse(yaml, "blocks.yaml"), seed);
}

// Smooth neurons (primitive spikes, reset not detached) so finite differences see every path.
const char* kSmooth =
    "{type: lif, tau: 2.0, v_threshold: 0.5, spike_fn: primitive, surrogate: {type: sigmoid, "
    "alpha: 4.0}}";

std::vector<std::string> names(const Model& m) {
  std::vector<std::string> v;
  for (const auto& n : m.nodes()) v.push_back(n.name);
  return v;
}

std::string one_block(const std::string& block, const std::string& in_shape = "[3, 4, 4]") {
  return "input: {shape: " + in_shape + "}\nlayers:\n  - " + block + "\n";
}

}  // namespace

TEST_CASE("blocks expand into named layers with the block's name last", "[model][blocks]") {
  auto m = build(one_block("{name: b, type: sew_block, out_channels: 4, stride: 2}"));
  CHECK(names(*m) == std::vector<std::string>{"b.conv1", "b.norm1", "b.sn1", "b.conv2", "b.norm2",
                                              "b.sn2", "b.down_conv", "b.down_norm", "b.down_sn",
                                              "b"});
  CHECK(m->output_shape() == Shape{4, 2, 2});
  CHECK(m->find("b")->layer->type() == "sew_connect");
  CHECK(m->params().find_param("b.conv1/weight")->shape == Shape{4, 3, 3, 3});
  CHECK_FALSE(m->params().find_param("b.conv1/bias"));  // a norm follows: no conv bias

  auto s = build(one_block("{name: r, type: spiking_resnet_block, out_channels: 3}"));
  CHECK(names(*s) == std::vector<std::string>{"r.conv1", "r.norm1", "r.sn1", "r.conv2", "r.norm2",
                                              "r.add", "r"});
  CHECK(s->find("r.norm1")->layer->type() == "tdbn");
  CHECK(s->find("r.add")->inputs.size() == 2);
  CHECK(s->find("r.add")->inputs[1] == -1);  // identity shortcut from the model input

  auto ms = build(one_block("{name: m, type: ms_block, out_channels: 8, variant: bottleneck}"));
  CHECK(names(*ms) == std::vector<std::string>{"m.sn1", "m.conv1", "m.norm1", "m.sn2", "m.conv2",
                                               "m.norm2", "m.sn3", "m.conv3", "m.norm3",
                                               "m.down_conv", "m.down_norm", "m"});
  CHECK(ms->params().find_param("m.conv1/weight")->shape == Shape{2, 3, 1, 1});  // mid = 8/4

  auto cl = build(one_block(
      "{name: c, type: conv_liaf, out_channels: 5, kernel: 3, norm: {type: bntt, time_steps: 4}}"));
  CHECK(names(*cl) == std::vector<std::string>{"c.conv", "c.norm", "c"});
  CHECK(cl->find("c")->layer->type() == "liaf");
  CHECK(cl->find("c.norm")->layer->type() == "bntt");

  auto dl = build(one_block("{name: d, type: dense_liaf, out_features: 6, "
                            "neuron: {type: lif, tau: 2.0}}", "[7]"));
  CHECK(names(*dl) == std::vector<std::string>{"d.fc", "d"});
  CHECK(dl->find("d.fc")->layer->type() == "linear");
  CHECK(dl->params().find_param("d.fc/bias"));  // no norm: the linear keeps its bias
}

TEST_CASE("later layers can name a block as input; head is appended", "[model][blocks]") {
  auto m = build(R"(
input: {shape: [2, 4, 4]}
layers:
  - {name: a, type: sew_block, out_channels: 2}
  - {name: b, type: sew_block, out_channels: 2, connect: and}
  - {name: s, type: add, inputs: [a, b]}
  - {name: g, type: global_avgpool2d}
head:
  - {name: fc, type: linear, out_features: 3}
)");
  CHECK(m->nodes().back().name == "fc");
  CHECK(m->output_shape() == Shape{3});
  CHECK(m->nodes()[m->find("s") - &m->nodes()[0]].inputs.size() == 2);
}

TEST_CASE("errors inside blocks point at the block's config line", "[model][blocks]") {
  auto expect_error = [](const std::string& yaml, const std::string& where,
                         const std::string& what) {
    try {
      build(yaml);
      FAIL("no error for " << yaml);
    } catch (const ConfigError& e) {
      const std::string msg = e.what();
      INFO(msg);
      CHECK(msg.find(where) != std::string::npos);
      CHECK(msg.find(what) != std::string::npos);
    }
  };
  // Unknown block key: the block's line (4).
  expect_error("input: {shape: [2, 4, 4]}\nlayers:\n  - {type: conv2d, out_channels: 2, kernel: 1}\n"
               "  - {name: b, type: sew_block, out_channels: 2, conect: and}\n",
               "blocks.yaml:4:", "unknown key 'conect'");
  // Invalid choice.
  expect_error(one_block("{name: b, type: sew_block, out_channels: 2, connect: or}"),
               "blocks.yaml:3:", "choices: add, and, iand");
  // A key error inside the block's neuron map points into that map (a file position).
  expect_error(one_block("{name: b, type: sew_block, out_channels: 3, neuron: {type: lif, taux: 2}}"),
               "blocks.yaml:3:", "unknown key 'taux'");
  // A shape error of a generated layer: reported at the block, naming the layer.
  expect_error(one_block("{name: b, type: dense_liaf, out_features: 3}"), "blocks.yaml:3:",
               "dense_liaf takes a per-step input [F]");
  expect_error(one_block("{name: b, type: sew_block, out_channels: 4, shortcut: identity}"),
               "blocks.yaml:3:", "identity shortcut needs the same shape");
  expect_error(one_block("{name: b, type: ms_block, out_channels: 3, norm: bntt}"),
               "blocks.yaml:3:", "time_steps");
  // Duplicate names between a block's parts and other layers.
  expect_error("input: {shape: [3, 4, 4]}\nlayers:\n  - {name: b.sn1, type: identity}\n"
               "  - {name: b, type: sew_block, out_channels: 3}\n",
               "blocks.yaml:4:", "duplicate layer name 'b.sn1'");
}

TEST_CASE("every block type and connect function passes a finite-difference gradient check",
          "[model][blocks][grad]") {
  const std::string n = std::string("neuron: ") + kSmooth;
  const std::vector<std::string> blocks = {
      "{type: sew_block, out_channels: 3, connect: add, " + n + "}",
      "{type: sew_block, out_channels: 3, connect: and, " + n + "}",
      "{type: sew_block, out_channels: 3, connect: iand, " + n + "}",
      "{type: sew_block, out_channels: 4, stride: 2, connect: iand, " + n + "}",
      "{type: sew_block, out_channels: 4, variant: bottleneck, mid_channels: 2, connect: and, " + n + "}",
      "{type: spiking_resnet_block, out_channels: 3, " + n + "}",
      "{type: spiking_resnet_block, out_channels: 4, stride: 2, " + n + "}",
      "{type: spiking_resnet_block, out_channels: 4, variant: bottleneck, norm: batchnorm, " + n + "}",
      "{type: ms_block, out_channels: 3, " + n + "}",
      "{type: ms_block, out_channels: 4, stride: 2, norm: {type: bntt, time_steps: 3}, " + n + "}",
      "{type: ms_block, out_channels: 4, variant: bottleneck, mid_channels: 2, norm: none, " + n + "}",
      "{type: conv_liaf, out_channels: 3, norm: {type: bntt, time_steps: 3}, neuron: {type: liaf, "
      "decay: 0.5, learn_decay: true, activation: tanh, spike_fn: primitive, detach_reset: false}}",
      "{type: conv_liaf, out_channels: 3, norm: tdbn, neuron: {type: plif, spike_fn: primitive}}",
  };
  for (const auto& b : blocks) {
    INFO(b);
    auto m = build(one_block(b));
    const Tensor x = random_tensor(Shape{3, 2, 3, 4, 4}, 17, 0.f, 1.5f);
    CHECK(check_model_gradients(*m, x) == 0);
  }
  auto d = build(one_block("{type: dense_liaf, out_features: 4, norm: batchnorm, neuron: {type: liaf, "
                           "tau: 2.0, activation: tanh, spike_fn: primitive, detach_reset: false}}",
                           "[5]"));
  CHECK(check_model_gradients(*d, random_tensor(Shape{4, 3, 5}, 3, -1.f, 1.f)) == 0);
}

TEST_CASE("SEW and MS blocks with a silenced residual branch are the identity", "[model][blocks]") {
  // Binary input spikes S. zero_init_residual sets the branch's last norm weight to 0, so the
  // branch's neuron never fires (A = 0): add and iand give O = S. For and, the bias makes the
  // branch fire at every step (A = 1): O = S. MS: branch = 0, O = the membrane input.
  Tensor s = Tensor::empty(Shape{4, 2, 3, 4, 4});
  for (int64_t i = 0; i < s.numel(); ++i) s[i] = float((i * 5) % 3 == 0);
  for (const char* c : {"add", "iand", "and"}) {
    for (const char* norm : {"batchnorm", "tdbn", "{type: bntt, time_steps: 4}"}) {
      INFO(c << " " << norm);
      auto m = build(one_block(std::string("{type: sew_block, out_channels: 3, zero_init_residual: "
                                           "true, and_init_bias: 5.0, connect: ") +
                               c + ", norm: " + norm + "}"));
      for (Phase ph : {Phase::kTrain, Phase::kEval}) {
        RunContext ctx;
        ctx.phase = ph;
        m->reset_state();
        CHECK(max_abs_diff(m->forward(s, ctx), s) == 0.f);
      }
    }
  }
  auto ms = build(one_block("{type: ms_block, out_channels: 3, zero_init_residual: true}"));
  const Tensor u = random_tensor(s.shape(), 4, -1.f, 2.f);
  RunContext ctx;
  CHECK(max_abs_diff(ms->forward(u, ctx), u) == 0.f);
  // Without zero-init the branch is not silent.
  auto live = build(one_block("{type: sew_block, out_channels: 3, connect: add}"));
  CHECK(max_abs_diff(live->forward(s, ctx), s) > 0.f);
}

TEST_CASE("tdbn alpha: 1/sqrt(2) on the residual branch end and the projection", "[model][blocks]") {
  auto m = build(one_block("{type: spiking_resnet_block, name: r, out_channels: 4, "
                           "neuron: {type: lif, v_threshold: 0.5}}"));
  auto alpha_of = [&](const char* n) {
    return dynamic_cast<const TdBatchNormLayer*>(m->find(n)->layer.get());
  };
  REQUIRE(alpha_of("r.norm1"));
  CHECK(alpha_of("r.norm1")->alpha() == 1.f);
  CHECK(alpha_of("r.norm2")->alpha() == Approx(0.70710678f));
  CHECK(alpha_of("r.down_norm")->alpha() == Approx(0.70710678f));
  CHECK(alpha_of("r.norm1")->v_threshold() == 0.5f);  // from the block's neuron
}
