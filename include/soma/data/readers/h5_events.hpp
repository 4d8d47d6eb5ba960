// HDF5 event files: soma's own event layout (written by `soma data convert --to h5`) and the
// SHD / SSC layout (Cramer et al., TNNLS 2022, "The Heidelberg Spiking Data Sets"). Both are read
// through open_event_reader (EventFormat::kShdH5, detected by the HDF5 signature or .h5/.hdf5).
//
// soma events layout (h5py: f["t"][:], f.attrs["width"]):
//   /t  int64 µs   /x  uint16   /y  uint16   /p  int8 (1 = ON, 0 = OFF)      all 1-D, length N
//   root attributes: width, height (int64), soma_format = "events" (string)
// SHD / SSC layout (one file per split: shd_train.h5, shd_test.h5; ssc_{train,valid,test}.h5):
//   /spikes/times  ragged float (float16 in the published files) spike times in seconds
//   /spikes/units  ragged uint16 channel ids 0..699
//   /labels        integer class per sample (SHD 0..19, SSC 0..34)
//   optional /extra/speaker, /extra/keys (ignored)
// An SHD spike becomes the event t = round(time * 1e6) µs, x = unit, y = 0, p = 1 on a 700 x 1
// sensor (ShdFile::channels = 700 unless a unit is larger). open_event_reader on an SHD file
// yields sample ReadOptions::sample (default 0); read_shd_file gives all samples at once.
// Errors: IoError naming the file and the dataset/sample (times and units of different lengths,
// negative or non-finite times, labels count != samples).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "soma/data/events.hpp"

namespace soma {

constexpr int kShdChannels = 700;

struct ShdFile {
  std::vector<Events> samples;  // each sorted by t (SHD spikes are stored sorted; re-sorted if not)
  std::vector<int> labels;
  int64_t channels = kShdChannels;
};

// True for an HDF5 file holding /spikes/times (SHD/SSC layout).
bool is_shd_file(const std::string& path);
ShdFile read_shd_file(const std::string& path);
// Number of samples in an SHD file (rows of /labels) without decoding them.
int64_t shd_sample_count(const std::string& path);

// Writes the soma events layout (creating or truncating `path`).
void write_h5_events(const std::string& path, const Events& ev);

}  // namespace soma
