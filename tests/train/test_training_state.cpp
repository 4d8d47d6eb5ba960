// Strict checkpoint loading of model state: missing, extra and mis-shaped tensors are errors
// that name the tensor and the file.
#include <catch2/catch.hpp>

#include "soma/core/config_node.hpp"
#include "soma/model/model_builder.hpp"
#include "soma/train/training_state.hpp"

using namespace soma;

namespace {

std::unique_ptr<Model> small_model(int hidden, uint64_t seed) {
  return build_model(ConfigNode::parse(str_cat("input: {shape: [6]}\nlayers:\n"
                                               "  - {name: fc, type: linear, out_features: ", hidden,
                                               "}\n  - {name: bn, type: batchnorm}\n"),
                                       "m.yaml"),
                     seed);
}

}  // namespace

TEST_CASE("model state round-trips through a Checkpoint", "[train][checkpoint]") {
  auto a = small_model(4, 1), b = small_model(4, 2);
  Checkpoint c;
  save_model_state(*a, c);
  CHECK(c.tensors.count("model/params/fc/weight"));
  CHECK(c.tensors.count("model/buffers/bn/running_mean"));
  load_model_state(*b, c, "x.h5");
  for (int64_t i = 0; i < a->params().num_params(); ++i)
    REQUIRE(a->params().values()[i] == b->params().values()[i]);
}

TEST_CASE("strict loading names missing, extra and mis-shaped tensors", "[train][checkpoint]") {
  auto a = small_model(4, 1);
  Checkpoint c;
  save_model_state(*a, c);

  Checkpoint missing = c;
  missing.tensors.erase("model/params/fc/bias");
  CHECK_THROWS_WITH(load_model_state(*a, missing, "ck.h5"),
                    Catch::Contains("ck.h5") && Catch::Contains("/model/params/fc/bias is missing"));

  Checkpoint extra = c;
  extra.tensors["model/params/ghost/weight"] = Tensor(Shape{2});
  CHECK_THROWS_WITH(load_model_state(*a, extra, "ck.h5"),
                    Catch::Contains("/model/params/ghost/weight") && Catch::Contains("extra"));

  auto wide = small_model(5, 1);
  CHECK_THROWS_WITH(load_model_state(*wide, c, "ck.h5"),
                    Catch::Contains("/model/params/fc/weight has shape [4, 6]") &&
                        Catch::Contains("expects [5, 6]"));
}
