// soma bench's library side: the synthetic timing dataset, the reference-compatible FLOP count,
// and every bench/*.yaml workload building and stepping.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <vector>

#include "soma/core/config_loader.hpp"
#include "soma/core/config_node.hpp"
#include "soma/core/error.hpp"
#include "soma/data/data_bundle.hpp"
#include "soma/data/datasets/synthetic_dataset.hpp"
#include "soma/train/benchmark.hpp"

using namespace soma;

namespace {

const std::string kSrc = SOMA_SOURCE_DIR;

SyntheticOptions events_opts(uint64_t seed, float density) {
  SyntheticOptions o;
  o.step_shape = Shape{2, 34, 34};
  o.time_steps = 10;
  o.classes = 10;
  o.density = density;
  o.samples = 64;
  o.seed = seed;
  return o;
}

std::vector<float> sample(const Dataset& d, int64_t i) {
  std::vector<float> v(static_cast<size_t>(d.sample_shape().numel()));
  Rng unused(123, 456);
  d.get(i, v.data(), unused);
  return v;
}

Experiment bench_experiment(const std::string& workload, std::vector<std::string> overrides) {
  overrides.push_back("output.dir=" + std::string(SOMA_BINARY_DIR) + "/test_scratch/bench_" + workload);
  ConfigNode root = load_config(kSrc + "/bench/" + workload + ".yaml", overrides);
  return make_experiment(root, workload);
}

}  // namespace

TEST_CASE("synthetic dataset: deterministic per seed and independent of the loader Rng", "[bench][data]") {
  SyntheticDataset a(events_opts(7, 0.2f)), b(events_opts(7, 0.2f)), c(events_opts(8, 0.2f));
  CHECK(a.sample_shape() == Shape({10, 2, 34, 34}));
  CHECK(a.size() == 64);
  for (int64_t i : {0, 5, 63}) {
    const auto x = sample(a, i);
    std::vector<float> y(x.size());
    Rng other(999, 1);
    b.get(i, y.data(), other);  // a different Rng: same sample
    CHECK(std::memcmp(x.data(), y.data(), x.size() * sizeof(float)) == 0);
    CHECK(a.label(i) == b.label(i));
    CHECK(sample(c, i) != x);  // another seed, other data
  }
  CHECK(sample(a, 0) != sample(a, 1));
  int same_labels = 0;
  for (int64_t i = 0; i < 64; ++i) {
    CHECK(a.label(i) >= 0);
    CHECK(a.label(i) < 10);
    same_labels += a.label(i) == c.label(i);
  }
  CHECK(same_labels < 30);  // ~6.4 expected for independent labels
}

TEST_CASE("synthetic dataset: Bernoulli density within 0.005 of the requested one", "[bench][data]") {
  // 64 samples x 23120 values = 1.48M draws: the standard error of the mean is <= 4.1e-4, so
  // the 0.005 bound is > 12 standard errors.
  for (float p : {0.2f, 0.05f, 0.5f}) {
    SyntheticDataset d(events_opts(3, p));
    double ones = 0, n = 0;
    bool binary = true;
    for (int64_t i = 0; i < d.size(); ++i)
      for (float v : sample(d, i)) {
        binary &= v == 0.f || v == 1.f;
        ones += v;
        n += 1;
      }
    INFO("density " << p << " measured " << ones / n);
    CHECK(binary);
    CHECK(std::abs(ones / n - p) < 0.005);
  }
  SyntheticDataset zero(events_opts(3, 0.f)), one(events_opts(3, 1.f));
  for (float v : sample(zero, 2)) REQUIRE(v == 0.f);
  for (float v : sample(one, 2)) REQUIRE(v == 1.f);
}

TEST_CASE("synthetic dataset: static_uniform repeats one uniform image over all T steps", "[bench][data]") {
  SyntheticOptions o;
  o.step_shape = Shape{1, 28, 28};
  o.time_steps = 8;
  o.samples = 4;
  o.pattern = SyntheticOptions::Pattern::kStaticUniform;
  SyntheticDataset d(o);
  const auto x = sample(d, 1);
  const size_t M = 28 * 28;
  double mean = 0;
  for (size_t k = 0; k < M; ++k) {
    REQUIRE(x[k] >= 0.f);
    REQUIRE(x[k] < 1.f);
    mean += x[k];
  }
  CHECK(std::abs(mean / M - 0.5) < 0.05);  // 784 uniforms: standard error 0.0103
  for (size_t t = 1; t < 8; ++t) CHECK(std::memcmp(&x[t * M], &x[0], M * sizeof(float)) == 0);
}

TEST_CASE("make_data with dataset: synthetic", "[bench][data]") {
  auto make = [](const std::string& extra) {
    auto root = ConfigNode::parse(
        "data: {dataset: synthetic, shape: [2, 8, 8], classes: 11, time_steps: 3, batch_size: 5" +
            extra + "}",
        "cfg.yaml");
    return make_data(root.child("data"));
  };
  DataBundle b = make("");
  CHECK(b.train->size() == 5);  // samples 0 = one batch
  CHECK(b.test->size() == 5);
  CHECK(b.num_classes == 11);
  CHECK(b.sample_shape == Shape({3, 2, 8, 8}));
  CHECK(sample(*b.train, 0) != sample(*b.test, 0));  // the test split has its own seed
  CHECK(make(", samples: 40, seed: 2, density: 0.5").train->size() == 40);
  CHECK_THROWS_AS(make(", root: datasets/mnist"), ConfigError);
  CHECK_THROWS_AS(make(", density: 1.5"), ConfigError);
  CHECK_THROWS_AS(make(", pattern: sparse"), ConfigError);
  CHECK_THROWS_AS(make(", encoding: {type: direct}"), ConfigError);
  CHECK_THROWS_AS(make(", bogus: 1"), ConfigError);
  auto no_shape = ConfigNode::parse("data: {dataset: synthetic, time_steps: 3}", "cfg.yaml");
  CHECK_THROWS_WITH(make_data(no_shape.child("data")), Catch::Contains("shape"));
}

TEST_CASE("median_of", "[bench]") {
  CHECK(median_of({3.0}) == 3.0);
  CHECK(median_of({5.0, 1.0, 3.0}) == 3.0);
  CHECK(median_of({4.0, 1.0, 3.0, 2.0}) == 2.5);
}

TEST_CASE("bench workloads: FLOP counts equal torch_reference.py's flops_per_sample", "[bench]") {
  // Values printed by flops_per_sample(wl) / flops_per_sample(wl, train=True) of the reference.
  struct Expect {
    const char* name;
    double fwd, train;
  };
  const Expect cases[] = {{"nmnist-mlp", 37152000.0, 74464000.0},
                          {"gesture-csnn-light", 1761312768.0, 5132943360.0},
                          {"gesture-csnn", 26912456704.0, 79529410560.0},
                          {"cifar10dvs-vgg", 5973811200.0, 17894891520.0},
                          {"mnist-liaf", 67858432.0, 199962624.0}};
  for (const auto& c : cases) {
    INFO(c.name);
    Experiment e = bench_experiment(c.name, {});
    const FlopCount f = count_flops(*e.model, e.data.sample_shape[0]);
    CHECK(f.forward == c.fwd);
    CHECK(f.train == c.train);
  }
}

TEST_CASE("bench workloads: shapes and batch and T as the reference", "[bench]") {
  struct Expect {
    const char* name;
    int64_t T, batch, classes;
    Shape in;
  };
  const Expect cases[] = {{"nmnist-mlp", 10, 64, 10, Shape{2, 34, 34}},
                          {"gesture-csnn-light", 16, 16, 11, Shape{2, 64, 64}},
                          {"gesture-csnn", 16, 16, 11, Shape{2, 128, 128}},
                          {"cifar10dvs-vgg", 10, 16, 10, Shape{2, 48, 48}},
                          {"mnist-liaf", 8, 64, 10, Shape{1, 28, 28}}};
  for (const auto& c : cases) {
    INFO(c.name);
    Experiment e = bench_experiment(c.name, {});
    CHECK(e.data.sample_shape[0] == c.T);
    CHECK(e.data.batch_size == c.batch);
    CHECK(e.data.num_classes == c.classes);
    CHECK(e.model->input_shape() == c.in);
    CHECK(e.model->output_shape() == Shape({c.classes}));
    CHECK(e.optimizer->type() == "sgd");
  }
}

TEST_CASE("bench workloads: one timed train and infer step runs (small batch and T)", "[bench]") {
  for (const char* wl : {"nmnist-mlp", "mnist-liaf", "gesture-csnn-light", "cifar10dvs-vgg"}) {
    INFO(wl);
    Experiment e = bench_experiment(wl, {"data.batch_size=2", "data.time_steps=2"});
    const std::vector<float> before(e.model->params().values(),
                                    e.model->params().values() + e.model->params().num_params());
    BenchOptions o;
    o.warmup = 0;
    o.repeats = 1;
    const BenchResult r = run_benchmark(e, o);
    REQUIRE(r.train);
    REQUIRE(r.infer);
    CHECK(r.batch == 2);
    CHECK(r.time_steps == 2);
    CHECK(r.train->times_s.size() == 1);
    CHECK(r.train->samples_per_s > 0);
    CHECK(r.infer->samples_per_s > 0);
    CHECK(std::isfinite(r.train->last_loss));
    CHECK(r.peak_rss_mib > 1.0);
    const float* after = e.model->params().values();
    bool changed = false;
    for (size_t i = 0; i < before.size(); ++i) changed |= before[i] != after[i];
    CHECK(changed);  // the optimizer step ran
    const Json j = bench_result_json(r, o);
    CHECK(j.contains("train_samples_per_s"));
    CHECK(j.at("batch").dump() == "2");
  }
}

TEST_CASE("bench workloads: gesture-csnn (full) steps", "[.][bench][slow]") {
  Experiment e = bench_experiment("gesture-csnn", {"data.batch_size=1", "data.time_steps=2"});
  BenchOptions o;
  o.warmup = 0;
  o.repeats = 1;
  const BenchResult r = run_benchmark(e, o);
  REQUIRE(r.train);
  CHECK(std::isfinite(r.train->last_loss));
}

TEST_CASE("bench: repeats and warm-up and max_seconds", "[bench]") {
  Experiment e = bench_experiment("nmnist-mlp", {"data.batch_size=4", "data.time_steps=2"});
  BenchOptions o;
  o.warmup = 1;
  o.repeats = 5;
  o.train = false;
  BenchResult r = run_benchmark(e, o);
  CHECK(!r.train);
  REQUIRE(r.infer);
  CHECK(r.infer->times_s.size() == 5);
  CHECK(r.infer->min_s <= r.infer->median_s);
  CHECK(r.infer->median_s <= r.infer->max_s);
  CHECK(r.infer->samples_per_s == Approx(4.0 / r.infer->median_s));
  o.repeats = 1000;
  o.max_seconds = 1e-9;  // stops after the minimum of 3 steps
  r = run_benchmark(e, o);
  CHECK(r.infer->times_s.size() == 3);
  o.repeats = 0;
  CHECK_THROWS(run_benchmark(e, o));
}

TEST_CASE("bench: calibration trains first, so inference sees realistic activity", "[bench]") {
  // gesture-csnn-light at a small size: with the initial batch-norm running statistics (mean 0,
  // var 1) the eval forward is nearly silent after conv1; after training steps the running
  // statistics match the data and the deeper layers receive spikes.
  const std::vector<std::string> small{"data.batch_size=4", "data.time_steps=4"};
  BenchOptions o;
  o.warmup = 0;
  o.repeats = 1;
  o.train = false;
  Experiment cold = bench_experiment("gesture-csnn-light", small);
  const BenchResult r0 = run_benchmark(cold, o);
  o.calibrate = 30;
  Experiment warm = bench_experiment("gesture-csnn-light", small);
  const BenchResult r1 = run_benchmark(warm, o);
  CHECK(r0.calibrate_steps == 0);
  CHECK(r1.calibrate_steps == 30);
  REQUIRE(r0.infer_density.size() == 7);  // conv1..conv5, fc1, fc2
  REQUIRE(r1.infer_density.size() == 7);
  CHECK(r1.infer_density[0].name == "conv1");
  CHECK(r1.infer_density[0].input_density == Approx(0.2).margin(0.02));  // the input frames
  CHECK(r0.infer_density[2].input_density < 0.05);  // conv3: silent before calibration
  CHECK(r1.infer_density[2].input_density > 0.1);   // active after
  const Json j = bench_result_json(r1, o);
  CHECK(j.at("calibrate_steps").dump() == "30");
  CHECK(j.at("infer_input_density").contains("conv3"));
  o.calibrate = -1;
  CHECK_THROWS(run_benchmark(warm, o));
}
