// EventCatalog: the recordings of one split of an event dataset, listed (files, labels, time
// windows) before anything is decoded, so the frame cache can be checked without parsing.
//
// Datasets, layouts and split rules (dataset: names of data.md; all splits fixed and logged):
//   nmnist        SLAYER list (train1K.txt/test100.txt + <id>.bs2) or Train|Test/<digit>/*.bin;
//                 the official MNIST split. 34x34.
//   dvs_gesture   trials_to_train.txt / trials_to_test.txt (one `userXX_<lighting>.aedat` per
//                 line), each trial an AEDAT 3.1 file + `<trial>_labels.csv` (class 1..11,
//                 start, end µs); one sample per CSV row = the events in [start, end), label
//                 class - 1. The standard split by user (01-23 train, 24-29 test). 128x128.
//   cifar10_dvs   <class>/*.aedat (AER-DAT 2.0), classes in CIFAR-10 order when the folders
//                 have those names, else sorted; per class the first 90% of the files (sorted by
//                 name) train, the rest test (SEW `split_to_train_test_set(0.9)`). 128x128.
//   mnist_dvs     grabbed_data<d>/scale<s>/*.aedat (AER-DAT 2.0), `scale` key (4, 8 or 16,
//                 default 4), or a flat folder of mnist_<d>_scale<ss>_<nnnn>.aedat (digit and
//                 scale from the name); per digit the first 80% (sorted by name) train, the
//                 rest test (LIAF-Net `rate = 0.8`). 128x128.
//   ncaltech101   <class>/*.bin (40-bit ATIS), 101 class folders sorted by name; per class a
//                 seeded shuffle (Rng(0, class)) holds out round(0.2 n_c) files for test.
//                 240x180 (SpikingJelly's H x W = 180 x 240).
//   shd, ssc      shd_train.h5 / shd_test.h5 (20 classes), ssc_train.h5 / ssc_test.h5 (35);
//                 the files' own split. 700 x 1 channels.
// Every catalog carries `rule`, a one-line statement of its split, written to the run log.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "soma/data/datasets/event_dataset.hpp"
#include "soma/data/readers/event_reader.hpp"

namespace soma {

struct EventEntry {
  std::string file;
  int label = 0;
  int64_t t_start = std::numeric_limits<int64_t>::min();  // time window [t_start, t_end)
  int64_t t_end = std::numeric_limits<int64_t>::max();
  int64_t sample = -1;  // row of a multi-sample file (SHD), -1 = the whole file
};

struct EventCatalog {
  std::string dataset;  // dataset: name
  std::string split;    // "train" / "test"
  std::vector<EventEntry> entries;
  int64_t width = 0, height = 0;
  int num_classes = 0;
  ReadOptions read;   // reader options (format, declared size)
  std::string rule;   // how the split was made (logged)
  std::string source; // root folder

  std::vector<std::string> distinct_files() const;  // in first-use order
};

struct EventDatasetInfo {
  const char* name;
  int num_classes;
  const char* default_root;
};
// The event datasets make_data knows, in the order of the table above.
const std::vector<EventDatasetInfo>& event_datasets();
const EventDatasetInfo* find_event_dataset(const std::string& name);

constexpr uint64_t kNcaltechSplitSeed = 0;

struct CatalogOptions {
  int64_t mnist_dvs_scale = 4;
  // When set, files named by a list (SLAYER label list, DVS Gesture trial lists and label
  // CSVs) that do not exist are appended here and skipped instead of throwing (soma data verify).
  std::vector<std::string>* missing = nullptr;
};

// Lists one split (IoError naming the missing file or folder).
EventCatalog list_event_split(const std::string& dataset, const std::string& root, bool train,
                              const CatalogOptions& opt = {});

// Decodes every entry (files in parallel, each file once); sample order = entry order.
EventSet load_event_catalog(const EventCatalog& cat);

// A text that changes when any listed file changes: one line per distinct file with its
// path, size and modification time (ns), plus the entries (label, window, sample).
std::string catalog_identity(const EventCatalog& cat);

}  // namespace soma
