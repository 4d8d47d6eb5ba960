// The HDF5 frame cache: written once, read back identical, new entry on parameter or file change.
#include <catch2/catch.hpp>

#include "event_tree_util.hpp"
#include "soma/core/config_node.hpp"
#include "soma/data/data_bundle.hpp"

using namespace soma;
using namespace soma::test;

namespace {

std::vector<float> sample(const Dataset& d, int64_t i) {
  std::vector<float> v(static_cast<size_t>(d.sample_shape().numel()));
  Rng r(1, static_cast<uint64_t>(i));
  d.get(i, v.data(), r);
  return v;
}

size_t h5_files(const std::string& dir) {
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.path().extension() == ".h5";
  return n;
}

}  // namespace

TEST_CASE("frame cache: second run reads it with identical tensors, new parameters give a new entry",
          "[datasets][cache]") {
  const std::string dir = fresh_dir("cache_tree");
  fs::create_directories(fs::path(dir) / "grabbed_data0" / "scale4");
  for (int i = 1; i <= 10; ++i) {
    char name[64];
    std::snprintf(name, sizeof name, "mnist_0_scale04_%04d.aedat", i);
    fs::copy_file(src_path(std::string("datasets/mnist_dvs_digit0/") + name),
                  fs::path(dir) / "grabbed_data0" / "scale4" / name);
  }
  const std::string cache = fresh_dir("cache_dir");
  const std::string base = "dataset: mnist_dvs\nroot: " + dir + "\ncache: " + cache +
                           "\nframes: {downsample: 4, mode: binary}\n";
  const DataBundle plain = make_data(ConfigNode::parse(
      "dataset: mnist_dvs\nroot: " + dir + "\ntime_steps: 5\nframes: {downsample: 4, mode: binary}\n", "t"));
  const DataBundle first = make_data(ConfigNode::parse(base + "time_steps: 5\n", "t"));
  CHECK(first.description.find("written to cache") != std::string::npos);
  CHECK(h5_files(cache) == 2);  // train + test
  const DataBundle second = make_data(ConfigNode::parse(base + "time_steps: 5\n", "t"));
  CHECK(second.description.find("from cache") != std::string::npos);
  CHECK(second.description.find("written") == std::string::npos);
  REQUIRE(second.train->size() == 8);
  REQUIRE(second.test->size() == 2);
  for (int64_t i = 0; i < 8; ++i) {
    CHECK(sample(*second.train, i) == sample(*plain.train, i));
    CHECK(second.train->label(i) == 0);
  }
  CHECK(sample(*second.test, 1) == sample(*plain.test, 1));

  // Changed integration parameters: a new entry next to the old one.
  const DataBundle t6 = make_data(ConfigNode::parse(base + "time_steps: 6\n", "t"));
  CHECK(t6.description.find("written to cache") != std::string::npos);
  CHECK(h5_files(cache) == 4);
  CHECK(t6.sample_shape == Shape{6, 2, 32, 32});

  // A changed file (size and mtime) invalidates the entry of its split.
  std::ofstream(fs::path(dir) / "grabbed_data0" / "scale4" / "mnist_0_scale04_0010.aedat",
                std::ios::app | std::ios::binary)
      .write("\0\0\0\0\0\0\0\0", 8);
  const DataBundle changed = make_data(ConfigNode::parse(base + "time_steps: 5\n", "t"));
  CHECK(changed.description.find("test 2") != std::string::npos);
  CHECK(h5_files(cache) == 5);  // only the test split (file 10) changed
  for (const auto& e : fs::directory_iterator(cache))
    CHECK(e.path().string().find(".tmp") == std::string::npos);

  // Random training transforms: the training split is not cached.
  const DataBundle aug = make_data(ConfigNode::parse(
      base + "time_steps: 5\ntransforms: [{type: flip_x}]\n", "t"));
  CHECK(aug.description.find("not cached: random transforms") != std::string::npos);
}
