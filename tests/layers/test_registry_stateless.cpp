#include <catch2/catch.hpp>

#include "layers/stateless_util.hpp"
#include "support/gradcheck.hpp"

using namespace soma;
using namespace soma::testing;

TEST_CASE("every stateless layer type builds from its example and runs a window", "[layers][registry]") {
  const char* types[] = {"linear", "conv2d", "maxpool2d", "avgpool2d", "adaptive_avgpool2d",
                         "global_avgpool2d", "flatten", "dropout", "batchnorm", "relu",
                         "leaky_relu", "selu", "sigmoid", "tanh", "identity", "add", "concat",
                         "readout", "vote"};
  for (const char* type : types) {
    INFO(type);
    const LayerInfo* info = LayerRegistry::builtin().find(type);
    REQUIRE(info != nullptr);
    CHECK_FALSE(info->summary.empty());
    std::vector<Shape> in(info->example_inputs, info->example_input);
    auto layer = build_layer(info->example_yaml, in);  // ensure_all_used inside
    CHECK(layer->type() == type);
    BoundLayer b = bind_for_test(*layer);
    Rng rng(1);
    RunContext ctx;
    ctx.rng = &rng;
    std::vector<Tensor> xs;
    for (const auto& s : in) xs.push_back(random_tensor(s.prepend({2, 2}), 3));
    Tensor y;
    Shape out;
    if (auto* m = dynamic_cast<MergeLayer*>(layer.get())) {
      out = m->output_shape_multi(in);
      y = m->forward_multi(xs, ctx);
      CHECK(m->backward_multi(y, ctx).size() == in.size());
    } else {
      out = layer->output_shape(in[0]);
      y = layer->forward(xs[0], ctx);
      CHECK(layer->backward(y, ctx).shape() == xs[0].shape());
    }
    CHECK(y.shape().drop_front(2) == out);
  }
}
