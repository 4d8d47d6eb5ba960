#include <catch2/catch.hpp>

#include <filesystem>
#include <set>

#include "soma/core/config_node.hpp"
#include "soma/core/error.hpp"
#include "soma/data/data_bundle.hpp"
#include "soma/data/loader.hpp"
#include "soma/data/splits.hpp"

using namespace soma;

namespace {

const std::string kSrc = SOMA_SOURCE_DIR;

DataBundle make(const std::string& yaml) {
  auto root = ConfigNode::parse(yaml, "cfg.yaml");
  return make_data(root.child("data"));
}

std::vector<int64_t> counts(const Dataset& d) {
  std::vector<int64_t> c(static_cast<size_t>(d.num_classes()), 0);
  for (int64_t i = 0; i < d.size(); ++i) ++c[static_cast<size_t>(d.label(i))];
  return c;
}

}  // namespace

TEST_CASE("stratified_split and class_balanced_order", "[data][splits]") {
  std::vector<int> labels;
  for (int i = 0; i < 100; ++i) labels.push_back(i < 70 ? 0 : (i < 90 ? 1 : 2));
  const auto s = stratified_split(labels, 10, 3);
  CHECK(s.held.size() == 10);
  CHECK(s.kept.size() == 90);
  int held_per[3] = {0, 0, 0};
  for (auto i : s.held) ++held_per[labels[static_cast<size_t>(i)]];
  CHECK(held_per[0] == 7);
  CHECK(held_per[1] == 2);
  CHECK(held_per[2] == 1);
  std::set<int64_t> all(s.held.begin(), s.held.end());
  all.insert(s.kept.begin(), s.kept.end());
  CHECK(all.size() == 100);
  CHECK(stratified_split(labels, 10, 3).held == s.held);
  CHECK(stratified_split(labels, 10, 4).held != s.held);

  const auto order = class_balanced_order(labels, 0);
  CHECK(order.size() == 100);
  std::vector<int> first6;
  for (int k = 0; k < 6; ++k) first6.push_back(labels[static_cast<size_t>(order[static_cast<size_t>(k)])]);
  CHECK(first6 == std::vector<int>{0, 1, 2, 0, 1, 2});
}

TEST_CASE("make_data digits: fixed stratified 1400 / 397 split, validation and limits",
          "[data][bundle]") {
  const DataBundle b = make("data:\n  dataset: digits\n  root: " + kSrc +
                            "/datasets/sklearn_digits\n  time_steps: 4\n  batch_size: 16\n"
                            "  encoding: {type: direct}\n");
  CHECK(b.train->size() == 1400);
  CHECK(b.test->size() == 397);
  CHECK(b.val == nullptr);
  CHECK(b.sample_shape == Shape{4, 1, 8, 8});
  CHECK(b.num_classes == 10);
  CHECK(b.batch_size == 16);
  const auto tc = counts(*b.test);
  for (int c = 0; c < 10; ++c) CHECK((tc[static_cast<size_t>(c)] >= 38 && tc[static_cast<size_t>(c)] <= 41));
  // direct encoding: pixel / 16, in [0, 1], repeated.
  std::vector<float> x(4 * 64);
  Rng rng(0);
  b.train->get(0, x.data(), rng);
  for (int m = 0; m < 64; ++m) {
    CHECK(x[static_cast<size_t>(m)] == x[static_cast<size_t>(3 * 64 + m)]);
    CHECK((x[static_cast<size_t>(m)] >= 0.f && x[static_cast<size_t>(m)] <= 1.f));
  }

  const DataBundle v = make("data:\n  dataset: digits\n  root: " + kSrc +
                            "/datasets/sklearn_digits/digits.csv.gz\n  time_steps: 2\n"
                            "  validation_fraction: 0.1\n  split_seed: 5\n  test_limit: 50\n");
  CHECK(v.val->size() == 140);
  CHECK(v.train->size() == 1260);
  CHECK(v.test->size() == 50);
  for (auto n : counts(*v.test)) CHECK(n == 5);

  const DataBundle l = make("data:\n  dataset: digits\n  root: " + kSrc +
                            "/datasets/sklearn_digits\n  time_steps: 2\n  train_limit: 100\n");
  CHECK(l.train->size() == 100);
  for (auto n : counts(*l.train)) CHECK(n == 10);
}

TEST_CASE("make_data nmnist with frames, through the Loader", "[data][bundle][nmnist]") {
  const DataBundle b = make("data:\n  dataset: nmnist\n  root: " + kSrc +
                            "/datasets/nmnist_small\n  time_steps: 6\n  batch_size: 10\n"
                            "  test_limit: 20\n  frames: {split_by: time, mode: binary, downsample: 2}\n");
  CHECK(b.train->size() == 1000);
  CHECK(b.test->size() == 20);
  CHECK(b.sample_shape == Shape{6, 2, 17, 17});
  LoaderOptions o;
  o.batch_size = b.batch_size;
  Loader L(b.test, o);
  L.start_epoch(0);
  Batch batch;
  int n = 0;
  while (L.next(batch)) {
    CHECK(batch.x.shape() == Shape{6, 10, 2, 17, 17});
    for (int64_t k = 0; k < batch.x.numel(); ++k) REQUIRE((batch.x[k] == 0.f || batch.x[k] == 1.f));
    ++n;
  }
  CHECK(n == 2);
}

TEST_CASE("make_data mnist with rate encoding and a limit", "[data][bundle][slow]") {
  const DataBundle b = make("data:\n  dataset: mnist\n  root: " + kSrc +
                            "/datasets/mnist\n  time_steps: 8\n  train_limit: 1000\n"
                            "  encoding: {type: rate, gain: 1.0}\n");
  CHECK(b.train->size() == 1000);
  CHECK(b.test->size() == 10000);
  CHECK(b.sample_shape == Shape{8, 1, 28, 28});
  for (auto n : counts(*b.train)) CHECK(n == 100);
}

TEST_CASE("make_data errors name file:line and the key", "[data][bundle]") {
  const std::string head = "data:\n  dataset: digits\n  root: " + kSrc + "/datasets/sklearn_digits\n";
  CHECK_THROWS_AS(make(head + "  time_steps: 4\n  batch_sise: 8\n"), ConfigError);
  CHECK_THROWS_WITH(make(head + "  time_steps: 4\n  batch_sise: 8\n"),
                    Catch::Contains("cfg.yaml:5") && Catch::Contains("batch_sise"));
  CHECK_THROWS_WITH(make(head + "  time_steps: 4\n  encoding: {type: rate, gian: 2}\n"),
                    Catch::Contains("cfg.yaml:5") && Catch::Contains("gian"));
  CHECK_THROWS_WITH(make(head + "  batch_size: 8\n"), Catch::Contains("time_steps"));
  CHECK_THROWS_WITH(make("data:\n  dataset: cifar\n  time_steps: 4\n"),
                    Catch::Contains("cfg.yaml:2") && Catch::Contains("nmnist"));
  CHECK_THROWS_WITH(make("data:\n  time_steps: 4\n"), Catch::Contains("dataset"));
  CHECK_THROWS_WITH(make("data:\n  dataset: mnist\n  root: no/such/dir\n  time_steps: 4\n"),
                    Catch::Contains("cfg.yaml:3") && Catch::Contains("no/such/dir") &&
                        Catch::Contains("does not exist"));
  CHECK_THROWS_WITH(make(head + "  time_steps: 4\n  frames: {split_by: time}\n"),
                    Catch::Contains("frames"));
  CHECK_THROWS_WITH(make("data:\n  dataset: nmnist\n  root: " + kSrc +
                         "/datasets/nmnist_small\n  time_steps: 4\n  frames: {mode: cnt}\n"),
                    Catch::Contains("cfg.yaml:5") && Catch::Contains("count, binary, clip"));
  CHECK_THROWS_WITH(make(head + "  time_steps: 4\n  validation_fraction: 1.5\n"),
                    Catch::Contains("validation_fraction"));
}

TEST_CASE("make_data fashion_mnist: Debian's files if installed, else a clear error",
          "[data][bundle][slow]") {
  const std::string debian = "/usr/share/datasets/fashion-mnist";
  if (std::filesystem::exists(debian)) {
    const DataBundle b = make("data:\n  dataset: fashion_mnist\n  time_steps: 2\n");
    CHECK(b.train->size() == 60000);
    CHECK(b.test->size() == 10000);
    for (auto n : counts(*b.train)) CHECK(n == 6000);
    for (auto n : counts(*b.test)) CHECK(n == 1000);
  } else {
    CHECK_THROWS_WITH(make("data:\n  dataset: fashion_mnist\n  time_steps: 2\n"),
                      Catch::Contains("cfg.yaml:2") && Catch::Contains(debian) &&
                          Catch::Contains("does not exist"));
  }
}

TEST_CASE("train_time_steps: training samples are a random ordered subset of the T frames",
          "[data][bundle][nmnist]") {
  const std::string base = "data:\n  dataset: nmnist\n  root: " + kSrc +
                           "/datasets/nmnist_small\n  time_steps: 8\n  batch_size: 4\n"
                           "  train_limit: 6\n  test_limit: 3\n  frames: {split_by: time, mode: count}\n";
  const DataBundle full = make(base);
  const DataBundle sub = make(base + "  train_time_steps: 5\n");
  CHECK(sub.train->sample_shape() == Shape{5, 2, 34, 34});
  CHECK(sub.test->sample_shape() == Shape{8, 2, 34, 34});  // evaluation keeps all T
  CHECK(sub.sample_shape == Shape{5, 2, 34, 34});
  const int64_t step = 2 * 34 * 34;
  for (int64_t i = 0; i < 6; ++i) {
    Rng r1(100 + uint64_t(i)), r2(100 + uint64_t(i));
    std::vector<float> whole(8 * step), part(5 * step);
    full.train->get(i, whole.data(), r1);
    sub.train->get(i, part.data(), r2);
    // Every kept frame is one of the original frames, in increasing time order, none twice.
    int64_t last = -1;
    for (int64_t j = 0; j < 5; ++j) {
      int64_t found = -1;
      for (int64_t t = last + 1; t < 8 && found < 0; ++t)
        if (std::equal(part.begin() + j * step, part.begin() + (j + 1) * step,
                       whole.begin() + t * step))
          found = t;
      REQUIRE(found > last);
      last = found;
    }
  }
  // The choice depends on the sample's stream: two streams give different subsets somewhere.
  std::vector<float> a(5 * step), b(5 * step);
  bool differs = false;
  for (uint64_t s = 0; s < 8 && !differs; ++s) {
    Rng r1(s), r2(s + 1000);
    sub.train->get(0, a.data(), r1);
    sub.train->get(0, b.data(), r2);
    differs = a != b;
  }
  CHECK(differs);
  CHECK_THROWS_AS(make(base + "  train_time_steps: 9\n"), ConfigError);
}
