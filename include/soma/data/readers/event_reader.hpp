// EventReader: one streaming interface over the event-camera / spiking-audio file formats.
//
// Every reader appends decoded events to a soma::Events (struct of arrays; t int64 µs, x, y
// uint16, p int8 with 1 = ON, 0 = OFF) and never emits a coordinate outside the sensor.
//
//   auto r = open_event_reader("user01_fluorescent.aedat");   // format from magic bytes
//   Events ev;
//   while (r->read(ev, 1 << 20) > 0) { ... }                  // bounded memory per call
//   Events all = read_events("1.bs2");                         // or the whole file at once
//
// Formats (details, conventions and limits: docs/event_formats.md):
//   kAtisBin      N-MNIST / N-Caltech101 `.bin`, SLAYER `.bs2`: 5-byte big-endian records
//                 x(8) y(8) p(1) t(23); t wraps at 2^23 µs and is unwrapped (a drop of more
//                 than 2^22 µs adds 2^23).
//   kSlayerBs1    SLAYER 1-D `.bs1`: channel(16) p(1) t(23); x = channel, y = 0, height = 1.
//   kAedat2       jAER AER-DAT 2.0 (DVS128 addresses), big-endian (addr, t) uint32 pairs.
//   kAedat31      AEDAT 3.1 (DVS Gesture): little-endian packets, polarity events only.
//   kAedat4       AEDAT 4.0: FlatBuffer header + LZ4/Zstd compressed EVTS packets.
//   kPropheseeDat Prophesee `.dat` v2 (N-CARS), 8-byte CD records.
//   kEvt2, kEvt3  Prophesee `.raw` EVT 2.0 (32-bit words) / EVT 3.0 (16-bit words, vectorised).
//   kShdH5        HDF5: SHD/SSC files (ragged spikes/times, spikes/units; one sample,
//                 ReadOptions::sample) or soma's t/x/y/p event layout (readers/h5_events.hpp).
//   kText         text/CSV `t x y p` per line (t in µs; ',' ';' or whitespace separated; '#'
//                 comments; p is 0/1, or -1 for OFF).
//
// Sensor size: ReadOptions::width/height if non-zero (then any event outside is an IoError),
// else the header (AEDAT3.1/4 sizeX/sizeY, Prophesee geometry/plugin), else the format's fixed
// size (DVS128 AEDAT2: 128x128), else the maximum coordinate + 1 seen so far (ATIS .bin, N-MNIST
// -> 34x34; .bs1 channels; DAT without geometry; text). For the last kind width()/height() grow
// while reading and are final once read() returned 0; read() copies them into out.width/height.
//
// Errors: soma::IoError naming the file and the byte offset of the offending record, e.g.
// "x.aedat: byte 3391: truncated event record (5 of 8 bytes)". Readers read in 1 MiB chunks and
// never size an allocation from an unchecked header value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "soma/data/events.hpp"

namespace soma {

enum class EventFormat {
  kAuto,
  kAtisBin,  // N-MNIST .bin, SLAYER .bs2
  kSlayerBs1,
  kAedat2,
  kAedat31,
  kAedat4,
  kPropheseeDat,
  kEvt2,
  kEvt3,
  kShdH5,
  kText,
};

struct ReadOptions {
  EventFormat format = EventFormat::kAuto;
  // Declared sensor size; 0 = from the header, the format's default, or max coordinate + 1.
  uint16_t width = 0;
  uint16_t height = 0;
  // AEDAT 2.0 (DVS128) conventions. Defaults follow jAER's DVS128 extractor: the raw address
  // bit 0 is 1 for OFF (so p = 1 - raw), and x is mirrored (x = 127 - raw_x). Set both to false
  // for the raw address bits (what many Python loaders do).
  bool aedat2_invert_polarity = true;
  bool aedat2_mirror_x = true;
  // Multi-sample files (SHD/SSC HDF5): which sample to read (0-based).
  int64_t sample = 0;
};

class EventReader {
 public:
  virtual ~EventReader();
  // Appends up to max_events events to `out` (and sets out.width/height); returns how many were
  // appended, 0 only at the end of the file. Throws IoError on corrupt input.
  virtual size_t read(Events& out, size_t max_events) = 0;
  virtual EventFormat format() const = 0;
  virtual uint16_t width() const { return width_; }
  virtual uint16_t height() const { return height_; }

 protected:
  uint16_t width_ = 0;
  uint16_t height_ = 0;
};

// Opens `path` with opt.format, or the detected format when kAuto.
std::unique_ptr<EventReader> open_event_reader(const std::string& path,
                                               const ReadOptions& opt = {});
// Reads the whole file.
Events read_events(const std::string& path, const ReadOptions& opt = {});
// Magic bytes / header text first, the extension as a fallback; IoError if unknown.
EventFormat detect_format(const std::string& path);

// "atis_bin", "slayer_bs1", "aedat2", "aedat31", "aedat4", "prophesee_dat", "evt2", "evt3",
// "shd_h5", "text", "auto". parse_format is case-insensitive, also accepts the aliases "bin",
// "bs2", "nmnist", "bs1", "dat", "h5", "hdf5", "shd", "csv", "txt", and throws ConfigError on
// anything else, listing the names.
std::string format_name(EventFormat f);
EventFormat parse_format(const std::string& name);

}  // namespace soma
