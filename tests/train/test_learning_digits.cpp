// Issue 2's learning test: a two-layer LIF network learns the real 8x8 digits.
#include <catch2/catch.hpp>

#include <chrono>

#include "soma/core/config_loader.hpp"
#include "soma/train/trainer.hpp"
#include "support/run_soma.hpp"

using namespace soma;

TEST_CASE("a two-layer LIF network reaches >= 90% on the digits test split", "[train][learning]") {
  const std::string out = testing::scratch_dir("learn_digits");
  ConfigNode root = load_config(std::string(SOMA_SOURCE_DIR) + "/tests/configs/good/digits_lif.yaml",
                                {"output.dir=" + out, "data.root=" + std::string(SOMA_SOURCE_DIR) +
                                                          "/datasets/sklearn_digits"});
  Experiment exp = make_experiment(root, "digits_lif");
  const auto t0 = std::chrono::steady_clock::now();
  TrainResult r = train(exp, {});
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  INFO("test accuracy " << r.last_eval.accuracy << " after " << secs << " s");
  CHECK(r.last_eval.samples == 397);
  CHECK(r.last_eval.accuracy >= 0.90);
  CHECK(r.epochs_done == 15);
}
