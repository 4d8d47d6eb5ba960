// Checking an event dataset folder (`soma data verify DIR [--dataset NAME] [--decode]`).
//
// 1. The layout: the dataset is named or detected from its marker files (train1K.txt or
//    Train/ -> nmnist, trials_to_train.txt -> dvs_gesture, shd_train.h5 -> shd, ssc_train.h5 ->
//    ssc, grabbed_data<d>/ -> mnist_dvs, the ten CIFAR-10 class folders -> cifar10_dvs); both
//    splits are listed with the catalog of event_catalog.hpp and every file a list names but
//    that is absent is reported by path (with the list file and line).
// 2. Counts: samples per split and per class.
// 3. Checksums: a `MANIFEST.sha256` (lines "<64 hex>  <relative path>", sha256sum format) in DIR,
//    or in its parent with paths starting with DIR's name (datasets/MANIFEST.sha256 style):
//    every listed file is hashed; mismatches and missing files are problems.
// 4. With decode: every recording is decoded (corrupt files are problems, with the reader's
//    message naming the byte offset).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace soma {

struct DatasetCheck {
  std::string dataset;
  std::string root;
  std::vector<std::string> problems;  // each says what is missing or wrong, and where
  std::vector<std::string> info;      // counts, split rules, manifest used
  int64_t train_samples = 0, test_samples = 0;
  int64_t checksums_ok = 0, checksums_bad = 0;
  bool ok() const { return problems.empty(); }
};

// "" when no layout matches.
std::string detect_event_dataset(const std::string& root);
DatasetCheck verify_event_dataset(const std::string& dataset, const std::string& root, bool decode,
                                  int64_t mnist_dvs_scale = 4);

}  // namespace soma
