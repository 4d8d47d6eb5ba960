// Reading the N-MNIST recordings of one split into memory (Orchard et al. 2015), 34 x 34 sensor.
//
// Two layouts under `root` are recognised, tried in this order:
//   SLAYER   a label list `train1K.txt` / `test100.txt` (or the only `train*.txt` / `test*.txt`):
//            a header line, then `<id>\t<class>` lines (CRLF or LF), and `<id>.bs2` (or `.bin`)
//            files next to it (bamsumit/slayerPytorch NMNISTsmall).
//   original `Train/<digit>/*.bin` and `Test/<digit>/*.bin`, the label being the folder name
//            (files sorted by name within a digit).
// The files are 40-bit ATIS events decoded by readers/event_reader.hpp. Files are read in
// parallel (OpenMP); the sample order is the list order (SLAYER) or digit-then-name (original).
#pragma once

#include <string>
#include <vector>

#include "soma/data/datasets/event_dataset.hpp"

namespace soma {

constexpr int kNmnistSize = 34;

struct EventCatalog;
// Lists the recordings of a split (no decoding); read_nmnist_split decodes them.
EventCatalog list_nmnist_split(const std::string& root, bool train,
                               std::vector<std::string>* missing = nullptr);
EventSet read_nmnist_split(const std::string& root, bool train);

}  // namespace soma
