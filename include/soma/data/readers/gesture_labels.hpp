// DVS128 Gesture label windows and time slicing.
//
// `<trial>_labels.csv` has the header "class,startTime_usec,endTime_usec" and one row per
// gesture instance; class is 1..11 in the dataset and is returned unchanged (a dataset maps it
// to 0..10). A sample is the trial's events with t in the half-open window [start, end).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "soma/data/events.hpp"

namespace soma {

struct LabelledSegment {
  int label = 0;        // as in the file (DVS Gesture: 1..11)
  int64_t t_start = 0;  // µs, inclusive
  int64_t t_end = 0;    // µs, exclusive
};

// Parses the CSV (header line optional, CRLF or LF, blank lines ignored). IoError naming the
// file and line for a malformed row, a negative class or start > end.
std::vector<LabelledSegment> read_gesture_labels(const std::string& csv_path);

// The events with t0 <= t < t1 (ev must be sorted by t, as readers produce it); keeps the
// sensor size and the original timestamps.
Events slice_time(const Events& ev, int64_t t0, int64_t t1);

}  // namespace soma
