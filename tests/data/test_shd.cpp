// SHD/SSC HDF5: the reader, the `shd` dataset and its [T, 700] count frames, on the SHD-layout
// sample built from the real N-TIDIGITS recording (tools/make_shd_sample.py).
#include <catch2/catch.hpp>

#include <numeric>

#include "soma/core/config_node.hpp"
#include "soma/data/data_bundle.hpp"
#include "soma/data/readers/event_reader.hpp"
#include "soma/data/readers/h5_events.hpp"
#include "soma/io/hdf5.hpp"

using namespace soma;

namespace {
const std::string kShdDir = std::string(SOMA_SOURCE_DIR) + "/tests/data/shd";
}

TEST_CASE("shd: read_shd_file matches the source .bs1 recording", "[shd]") {
  const ShdFile f = read_shd_file(kShdDir + "/shd_train.h5");
  REQUIRE(f.samples.size() == 4);
  CHECK(f.labels == std::vector<int>{0, 1, 2, 3});
  CHECK(f.channels == 700);
  // The four quarters hold all 898 events of NTIDIGITS_1.bs1 with the same channels in order.
  const Events src = read_events(std::string(SOMA_SOURCE_DIR) + "/datasets/ntidigits_slayer/NTIDIGITS_1.bs1");
  REQUIRE(src.size() == 898);
  std::vector<uint16_t> units;
  size_t total = 0;
  for (const auto& s : f.samples) {
    total += s.size();
    CHECK(s.width == 700);
    CHECK(s.height == 1);
    CHECK(std::is_sorted(s.t.begin(), s.t.end()));
    units.insert(units.end(), s.x.begin(), s.x.end());
  }
  CHECK(total == 898);
  const int64_t span = src.t.back() + 1;
  std::vector<uint16_t> src_units;
  for (int q = 0; q < 4; ++q)
    for (size_t i = 0; i < src.size(); ++i)
      if (src.t[i] >= span * q / 4 && src.t[i] < span * (q + 1) / 4) src_units.push_back(src.x[i]);
  CHECK(units == src_units);
  // float16 seconds: within one float16 ulp (2^-13 s = 122 µs in [0.125, 0.25) s) + 1 µs rounding.
  const Events& s1 = f.samples[1];
  size_t k = 0;
  for (size_t i = 0; i < src.size() && k < s1.size(); ++i)
    if (src.t[i] >= span / 4 && src.t[i] < span / 2) {
      CHECK(std::abs(s1.t[k] - (src.t[i] - span / 4)) <= 123);
      ++k;
    }
  CHECK(k == 823);
}

TEST_CASE("shd: open_event_reader yields one sample", "[shd]") {
  ReadOptions o;
  o.sample = 3;
  const Events e = read_events(kShdDir + "/shd_train.h5", o);
  CHECK(e.size() == 71);
  CHECK(detect_format(kShdDir + "/shd_train.h5") == EventFormat::kShdH5);
  o.sample = 4;
  CHECK_THROWS_WITH(read_events(kShdDir + "/shd_train.h5", o), Catch::Contains("holds 4 samples"));
  CHECK(shd_sample_count(kShdDir + "/shd_test.h5") == 2);
}

TEST_CASE("shd: h5 events layout round trip", "[shd]") {
  Events ev;
  ev.width = 40;
  ev.height = 30;
  ev.push_back(5, 1, 2, 1);
  ev.push_back(9, 39, 29, 0);
  const std::string path = std::string(SOMA_BINARY_DIR) + "/test_tmp_h5events.h5";
  write_h5_events(path, ev);
  const Events back = read_events(path);
  CHECK(back.t == ev.t);
  CHECK(back.x == ev.x);
  CHECK(back.y == ev.y);
  CHECK(back.p == ev.p);
  CHECK(back.width == 40);
  CHECK(back.height == 30);
}

TEST_CASE("shd: dataset frames [T, 700] equal counts computed with numpy", "[shd]") {
  auto cfg = ConfigNode::parse("dataset: shd\nroot: " + kShdDir + "\ntime_steps: 4\nbatch_size: 2\n", "t");
  const DataBundle b = make_data(cfg);
  REQUIRE(b.train->size() == 4);
  REQUIRE(b.test->size() == 2);
  CHECK(b.num_classes == 20);
  CHECK(b.sample_shape == Shape{4, 700});
  std::vector<float> x(4 * 700);
  Rng rng(0);
  b.train->get(1, x.data(), rng);
  // numpy (split_by time as SpikingJelly): per-frame totals [6, 255, 374, 188]
  const std::vector<double> want{6, 255, 374, 188};
  for (int j = 0; j < 4; ++j)
    CHECK(std::accumulate(x.begin() + j * 700, x.begin() + (j + 1) * 700, 0.0) == want[static_cast<size_t>(j)]);
  CHECK(x[700 * 0 + 63] == 0.0f);
  b.train->get(2, x.data(), rng);  // the empty quarter
  CHECK(std::accumulate(x.begin(), x.end(), 0.0) == 0.0);

  auto pooled = ConfigNode::parse(
      "dataset: shd\nroot: " + kShdDir + "\ntime_steps: 4\nchannel_pool: 5\n", "t");
  const DataBundle p = make_data(pooled);
  CHECK(p.sample_shape == Shape{4, 140});
  std::vector<float> y(4 * 140);
  p.train->get(1, y.data(), rng);
  // numpy: frame 2 of sample 1, units // 5 -> bincount
  const std::vector<float> frame2{2, 32, 66, 66, 61, 55, 61, 23, 7, 0, 1, 0, 0, 0};
  for (size_t c = 0; c < frame2.size(); ++c) CHECK(y[2 * 140 + c] == frame2[c]);
}
