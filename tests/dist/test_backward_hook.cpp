// Model::backward's per-node hook, which the overlapped gradient all-reduce relies on: nodes
// report last to first, each once, and a node's parameter gradients are final when it reports.
#include <catch2/catch.hpp>

#include <vector>

#include "soma/core/config_node.hpp"
#include "soma/model/model_builder.hpp"
#include "support/gradcheck.hpp"

using namespace soma;
using namespace soma::testing;

TEST_CASE("backward reports each node once, last to first, with its gradients final", "[dist][model]") {
  const ConfigNode cfg = ConfigNode::parse(
      "input: {shape: [1, 6, 6]}\n"
      "layers:\n"
      "  - {name: conv, type: conv2d, out_channels: 3, kernel: 3, padding: 1}\n"
      "  - {name: bn, type: batchnorm}\n"
      "  - {name: lif1, type: lif, spike_fn: primitive}\n"
      "  - {name: flat, type: flatten}\n"
      "  - {name: fc1, type: linear, out_features: 8}\n"
      "  - {name: side, type: linear, out_features: 8, inputs: [flat]}\n"
      "  - {name: sum, type: add, inputs: [fc1, side]}\n"
      "  - {name: fc2, type: linear, out_features: 4}\n",
      "hook_test");
  auto model = build_model(cfg, 3);
  ParamStore& ps = model->params();
  const Tensor x = random_tensor(Shape{2, 3, 1, 6, 6}, 4);
  RunContext ctx;
  ps.zero_grads();
  const Tensor y = model->forward(x, ctx);
  const Tensor gy = random_tensor(y.shape(), 5);
  std::vector<size_t> order;
  std::vector<std::vector<float>> at_report;  // the flat gradient buffer when node i reported
  model->backward(gy, ctx, [&](size_t i) {
    order.push_back(i);
    at_report.emplace_back(ps.grads(), ps.grads() + ps.num_params());
  });
  const size_t n = model->nodes().size();
  REQUIRE(order.size() == n);
  for (size_t k = 0; k < n; ++k) CHECK(order[k] == n - 1 - k);
  // Every parameter segment already holds its final gradient when its node reports.
  for (size_t k = 0; k < n; ++k) {
    const std::string& name = model->nodes()[order[k]].name;
    for (const auto& seg : ps.params()) {
      if (seg.layer != name) continue;
      INFO(seg.name);
      int64_t changed = 0, nonzero = 0;
      for (int64_t j = seg.offset; j < seg.offset + seg.size; ++j) {
        changed += at_report[k][j] != ps.grads()[j];
        nonzero += ps.grads()[j] != 0.f;
      }
      CHECK(changed == 0);
      CHECK(nonzero > 0);
    }
  }
}
