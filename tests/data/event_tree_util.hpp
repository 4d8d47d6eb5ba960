// Builds small dataset trees in the published layouts from the real sample recordings
// (DVS Gesture from the DVS128 clips, MNIST-DVS / CIFAR10-DVS from the MNIST-DVS digit-0 files,
// N-Caltech101 / N-MNIST original layout from N-MNIST files) under the build tree.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "soma/data/readers/aedat31.hpp"
#include "soma/data/readers/event_reader.hpp"

namespace soma::test {

namespace fs = std::filesystem;

inline std::string src_path(const std::string& rel) { return std::string(SOMA_SOURCE_DIR) + "/" + rel; }

inline std::string fresh_dir(const std::string& name) {
  const fs::path p = fs::path(SOMA_BINARY_DIR) / "test_tmp" / "data" / name;
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

struct GestureTrial {
  std::string name;  // e.g. user01_led
  int clip;          // datasets/dvs128_clips_slayer/<clip>.bs2
  std::vector<std::array<int64_t, 3>> rows;  // class (1..11), start, end
};

// The DVS Gesture layout: trials as AEDAT 3.1, <trial>_labels.csv, trials_to_*.txt.
inline std::string make_gesture_tree(const std::string& name, const std::vector<GestureTrial>& train,
                                     const std::vector<GestureTrial>& test) {
  const std::string dir = fresh_dir(name);
  for (int split = 0; split < 2; ++split) {
    std::string list;
    for (const auto& t : split == 0 ? train : test) {
      Events ev = read_events(src_path("datasets/dvs128_clips_slayer/" + std::to_string(t.clip) + ".bs2"));
      ev.width = ev.height = 128;
      write_aedat31(dir + "/" + t.name + ".aedat", ev);
      std::string csv = "class,startTime_usec,endTime_usec\r\n";
      for (const auto& r : t.rows)
        csv += std::to_string(r[0]) + "," + std::to_string(r[1]) + "," + std::to_string(r[2]) + "\r\n";
      write_file(dir + "/" + t.name + "_labels.csv", csv);
      list += t.name + ".aedat\n";
    }
    write_file(dir + (split == 0 ? "/trials_to_train.txt" : "/trials_to_test.txt"), list);
  }
  return dir;
}

// `per_class` symlinks per class folder to the 30 MNIST-DVS digit-0 recordings (cycling).
inline std::string make_class_tree(const std::string& name, const std::vector<std::string>& classes,
                                   int per_class, const std::string& ext, bool nmnist_source) {
  const std::string dir = fresh_dir(name);
  int k = 0;
  for (const auto& c : classes) {
    fs::create_directories(fs::path(dir) / c);
    for (int i = 0; i < per_class; ++i, ++k) {
      char src[160], dst[64];
      if (nmnist_source)
        std::snprintf(src, sizeof src, "datasets/nmnist_small/%d.bs2", 1 + k % 1000);
      else
        std::snprintf(src, sizeof src, "datasets/mnist_dvs_digit0/mnist_0_scale04_%04d.aedat", 1 + k % 30);
      std::snprintf(dst, sizeof dst, "%s_%03d%s", c.c_str(), i, ext.c_str());
      fs::create_symlink(src_path(src), fs::path(dir) / c / dst);
    }
  }
  return dir;
}

}  // namespace soma::test
