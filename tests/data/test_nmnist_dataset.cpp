#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <memory>

#include "soma/core/error.hpp"
#include "soma/data/datasets/event_dataset.hpp"
#include "soma/data/datasets/nmnist_files.hpp"

namespace fs = std::filesystem;
using namespace soma;

namespace {
const std::string kRoot = std::string(SOMA_SOURCE_DIR) + "/datasets/nmnist_small";
}

TEST_CASE("N-MNIST subset (SLAYER layout): 1000 / 100 samples with the known class counts",
          "[data][nmnist]") {
  const EventSet train = read_nmnist_split(kRoot, true);
  const EventSet test = read_nmnist_split(kRoot, false);
  CHECK(train.samples.size() == 1000);
  CHECK(test.samples.size() == 100);
  CHECK(train.class_counts(10) == std::vector<int64_t>{97, 116, 99, 93, 105, 92, 94, 117, 87, 100});
  CHECK(test.class_counts(10) == std::vector<int64_t>{8, 14, 8, 11, 14, 7, 10, 15, 2, 11});
  size_t events = 0, lo = SIZE_MAX, hi = 0;
  for (const auto* s : {&train, &test})
    for (const Events& e : s->samples) {
      events += e.size();
      lo = std::min(lo, e.size());
      hi = std::max(hi, e.size());
    }
  CHECK(events == 4518827);  // datasets/README.md
  CHECK(lo == 1069);
  CHECK(hi == 7152);
  CHECK(train.files[0].find("/1.bs2") != std::string::npos);
  CHECK(train.labels[0] == 5);  // MNIST training sample 1 is a 5
}

TEST_CASE("N-MNIST dataset integrates frames: counts add up to the events", "[data][nmnist]") {
  auto test = std::make_shared<const EventSet>(read_nmnist_split(kRoot, false));
  FrameOptions fo;
  fo.split_by = FrameOptions::SplitBy::kNumber;
  EventDataset ds(test, fo, 5, 10, "N-MNIST test");
  CHECK(ds.size() == 100);
  CHECK(ds.sample_shape() == Shape{5, 2, 34, 34});
  std::vector<float> out(static_cast<size_t>(ds.sample_shape().numel()));
  Rng rng(0);
  for (int64_t i : {0, 57, 99}) {
    ds.get(i, out.data(), rng);
    double sum = 0, on = 0;
    for (size_t k = 0; k < out.size(); ++k) {
      sum += out[k];
      if ((k / (34 * 34)) % 2 == 1) on += out[k];
    }
    const Events& ev = test->samples[static_cast<size_t>(i)];
    CHECK(sum == double(ev.size()));
    double on_events = 0;
    for (int8_t p : ev.p) on_events += p;
    CHECK(on == on_events);
  }
}

TEST_CASE("N-MNIST original layout Train/<digit>/*.bin", "[data][nmnist]") {
  const fs::path d = fs::temp_directory_path() / "soma_test_nmnist_tree";
  fs::remove_all(d);
  fs::create_directories(d / "Train" / "3");
  fs::create_directories(d / "Train" / "7");
  fs::create_directories(d / "Test" / "0");
  fs::copy_file(kRoot + "/12.bs2", d / "Train" / "3" / "00012.bin");
  fs::copy_file(kRoot + "/16.bs2", d / "Train" / "7" / "00016.bin");
  fs::copy_file(kRoot + "/1.bs2", d / "Train" / "7" / "00001.bin");
  fs::copy_file(std::string(SOMA_SOURCE_DIR) + "/datasets/tonic_samples/sample_nmnist.bin",
                d / "Test" / "0" / "x.bin");
  const EventSet tr = read_nmnist_split(d.string(), true);
  CHECK(tr.labels == std::vector<int>{3, 7, 7});
  CHECK(tr.files[1].find("00001.bin") != std::string::npos);
  const EventSet te = read_nmnist_split(d.string(), false);
  CHECK(te.samples.size() == 1);
  CHECK(te.samples[0].size() == 4325);

  // A truncated recording is an IoError naming the file.
  {
    std::ofstream o(d / "Test" / "0" / "y.bin", std::ios::binary);
    o.write("\x01\x02\x80", 3);
  }
  CHECK_THROWS_AS(read_nmnist_split(d.string(), false), IoError);
  CHECK_THROWS_WITH(read_nmnist_split(d.string(), false), Catch::Contains("y.bin"));
  fs::remove_all(d);
  CHECK_THROWS_AS(read_nmnist_split(d.string(), true), IoError);
}
