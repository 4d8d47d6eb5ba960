// Event datasets with fixed splits, on trees in the published layouts built from real files.
#include <catch2/catch.hpp>

#include "event_tree_util.hpp"
#include "soma/core/config_node.hpp"
#include "soma/data/data_bundle.hpp"
#include "soma/data/datasets/dataset_verify.hpp"
#include "soma/data/datasets/event_catalog.hpp"
#include "soma/data/readers/gesture_labels.hpp"

using namespace soma;
using namespace soma::test;

namespace {

size_t count_window(const Events& ev, int64_t t0, int64_t t1) {
  size_t n = 0;
  for (int64_t t : ev.t) n += t >= t0 && t < t1;
  return n;
}

DataBundle bundle(const std::string& yaml) { return make_data(ConfigNode::parse(yaml, "test")); }

}  // namespace

TEST_CASE("dvs_gesture: trials cut by the label windows, user split", "[datasets][gesture]") {
  const std::string dir = make_gesture_tree(
      "gesture", {{"user01_led", 1, {{1, 0, 400000}, {5, 400000, 900000}, {11, 900000, 1450000}}},
                  {"user02_natural", 2, {{3, 100000, 700000}}}},
      {{"user24_led", 3, {{2, 0, 700000}, {10, 700000, 1400000}}}});
  const EventCatalog tr = list_event_split("dvs_gesture", dir, true);
  const EventCatalog te = list_event_split("dvs_gesture", dir, false);
  REQUIRE(tr.entries.size() == 4);
  REQUIRE(te.entries.size() == 2);
  CHECK(tr.entries[1].label == 4);   // class 5 -> 4
  CHECK(tr.entries[2].label == 10);  // class 11 -> 10
  const EventSet set = load_event_catalog(tr);
  const Events clip1 = read_events(src_path("datasets/dvs128_clips_slayer/1.bs2"));
  CHECK(set.samples[0].size() == count_window(clip1, 0, 400000));
  CHECK(set.samples[1].size() == count_window(clip1, 400000, 900000));
  CHECK(set.samples[2].size() == count_window(clip1, 900000, 1450000));
  CHECK(set.samples[0].size() + set.samples[1].size() + set.samples[2].size() <= clip1.size());
  CHECK(set.samples[0].size() > 1000);

  const DataBundle b = bundle("dataset: dvs_gesture\nroot: " + dir +
                              "\ntime_steps: 6\nframes: {split_by: number, downsample: 4}\n");
  CHECK(b.num_classes == 11);
  CHECK(b.sample_shape == Shape{6, 2, 32, 32});
  CHECK(b.train->size() == 4);
  CHECK(b.test->size() == 2);
  CHECK(b.description.find("standard user split") != std::string::npos);

  // verify names a missing label file exactly
  fs::remove(fs::path(dir) / "user02_natural_labels.csv");
  const DatasetCheck c = verify_event_dataset("dvs_gesture", dir, false);
  REQUIRE_FALSE(c.ok());
  bool named = false;
  for (const auto& p : c.problems) named |= p.find("user02_natural_labels.csv") != std::string::npos;
  CHECK(named);
  CHECK(detect_event_dataset(dir) == "dvs_gesture");
}

TEST_CASE("mnist_dvs: grabbed_data<d>/scale4, per digit 80/20", "[datasets]") {
  const std::string dir = fresh_dir("mnist_dvs");
  fs::create_directories(fs::path(dir) / "grabbed_data0");
  fs::create_directory_symlink(src_path("datasets/mnist_dvs_digit0"), fs::path(dir) / "grabbed_data0" / "scale4");
  const EventCatalog tr = list_event_split("mnist_dvs", dir, true);
  const EventCatalog te = list_event_split("mnist_dvs", dir, false);
  CHECK(tr.entries.size() == 24);
  CHECK(te.entries.size() == 6);
  CHECK(fs::path(tr.entries.back().file).filename() == "mnist_0_scale04_0024.aedat");
  CHECK(fs::path(te.entries.front().file).filename() == "mnist_0_scale04_0025.aedat");
  const EventSet set = load_event_catalog(te);
  size_t total = 0;
  for (const auto& s : set.samples) total += s.size();
  CHECK(total > 6 * 12000);  // every file holds 12,596-20,501 events
  CHECK_THROWS_AS(list_event_split("mnist_dvs", dir, true, {8}), IoError);
  CHECK(detect_event_dataset(dir) == "mnist_dvs");
}

TEST_CASE("cifar10_dvs: per class first 90% train", "[datasets]") {
  const std::vector<std::string> classes{"airplane", "automobile", "bird", "cat", "deer",
                                         "dog", "frog", "horse", "ship", "truck"};
  const std::string dir = make_class_tree("cifar10_dvs", classes, 10, ".aedat", false);
  const EventCatalog tr = list_event_split("cifar10_dvs", dir, true);
  const EventCatalog te = list_event_split("cifar10_dvs", dir, false);
  CHECK(tr.entries.size() == 90);
  CHECK(te.entries.size() == 10);
  CHECK(te.entries[3].label == 3);
  CHECK(fs::path(te.entries[3].file).filename() == "cat_009.aedat");
  CHECK(detect_event_dataset(dir) == "cifar10_dvs");
}

TEST_CASE("ncaltech101: seeded per-class split, fixed", "[datasets]") {
  const std::string dir = make_class_tree("ncaltech", {"BACKGROUND_Google", "Faces_easy", "ant"}, 5, ".bin", true);
  const EventCatalog tr = list_event_split("ncaltech101", dir, true);
  const EventCatalog te = list_event_split("ncaltech101", dir, false);
  CHECK(tr.num_classes == 3);
  CHECK(tr.entries.size() == 12);  // round(0.2 * 5) = 1 held out per class
  CHECK(te.entries.size() == 3);
  const EventCatalog again = list_event_split("ncaltech101", dir, false);
  for (size_t i = 0; i < te.entries.size(); ++i) CHECK(te.entries[i].file == again.entries[i].file);
  const EventSet set = load_event_catalog(te);
  CHECK(set.width == 240);
  CHECK(set.samples[0].size() > 1000);
}

TEST_CASE("nmnist: original Train/<digit>/*.bin layout", "[datasets]") {
  const std::string dir = fresh_dir("nmnist_orig");
  for (const char* split : {"Train", "Test"})
    for (int d = 0; d < 2; ++d) {
      fs::create_directories(fs::path(dir) / split / std::to_string(d));
      for (int i = 0; i < 3; ++i)
        fs::create_symlink(src_path("datasets/nmnist_small/" + std::to_string(1 + d * 3 + i) + ".bs2"),
                           fs::path(dir) / split / std::to_string(d) / ("0000" + std::to_string(i) + ".bin"));
    }
  const EventCatalog tr = list_event_split("nmnist", dir, true);
  CHECK(tr.entries.size() == 6);
  CHECK(tr.entries[4].label == 1);
  const DataBundle b = bundle("dataset: nmnist\nroot: " + dir + "\ntime_steps: 3\n");
  CHECK(b.sample_shape == Shape{3, 2, 34, 34});
  CHECK(b.test->size() == 6);
}

TEST_CASE("verify: the bundled N-MNIST subset against datasets/MANIFEST.sha256", "[datasets][verify]") {
  const DatasetCheck c = verify_event_dataset("nmnist", src_path("datasets/nmnist_small"), false);
  for (const auto& p : c.problems) WARN(p);
  CHECK(c.ok());
  CHECK(c.train_samples == 1000);
  CHECK(c.test_samples == 100);
  CHECK(c.checksums_ok == 1102);  // 1100 recordings + 2 label lists
  CHECK(c.checksums_bad == 0);
}
