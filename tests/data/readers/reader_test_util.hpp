// Helpers for the event reader tests: reference statistics from tools/event_decode/decode.py,
// temporary files, corrupted copies of real files.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "soma/data/events.hpp"
#include "soma/data/readers/event_reader.hpp"

namespace soma::test {

// One row printed by `/usr/bin/python3 tools/event_decode/decode.py datasets`.
struct EventRef {
  const char* name;
  size_t n;
  int64_t xmin, xmax, ymin, ymax, tmin, tmax;
  size_t on, off;
  uint64_t checksum;  // sum of (t*31 + x*7 + y*3 + p) mod 2^64
};

struct EventStats {
  size_t n = 0, on = 0, off = 0;
  int64_t xmin = 0, xmax = 0, ymin = 0, ymax = 0, tmin = 0, tmax = 0;
  uint64_t checksum = 0;
  bool monotonic = true;
};

inline EventStats event_stats(const Events& ev) {
  EventStats s;
  s.n = ev.size();
  if (s.n == 0) return s;
  s.xmin = s.xmax = ev.x[0];
  s.ymin = s.ymax = ev.y[0];
  s.tmin = s.tmax = ev.t[0];
  for (size_t i = 0; i < s.n; ++i) {
    s.xmin = std::min<int64_t>(s.xmin, ev.x[i]);
    s.xmax = std::max<int64_t>(s.xmax, ev.x[i]);
    s.ymin = std::min<int64_t>(s.ymin, ev.y[i]);
    s.ymax = std::max<int64_t>(s.ymax, ev.y[i]);
    s.tmin = std::min(s.tmin, ev.t[i]);
    s.tmax = std::max(s.tmax, ev.t[i]);
    s.on += ev.p[i] == 1;
    s.off += ev.p[i] == 0;
    if (i && ev.t[i] < ev.t[i - 1]) s.monotonic = false;
    s.checksum += static_cast<uint64_t>(ev.t[i]) * 31u + uint64_t{ev.x[i]} * 7u +
                  uint64_t{ev.y[i]} * 3u + static_cast<uint64_t>(ev.p[i]);
  }
  return s;
}

inline std::string dataset_path(const std::string& rel) {
  return std::string(SOMA_SOURCE_DIR) + "/datasets/" + rel;
}

inline std::vector<char> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void spit(const std::string& path, const std::vector<char>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A per-test scratch directory under the build tree (removed when the object dies).
class TempDir {
 public:
  explicit TempDir(const std::string& name)
      : dir_(std::filesystem::path(SOMA_BINARY_DIR) / "test_tmp" / name) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string file(const std::string& name) const { return (dir_ / name).string(); }

 private:
  std::filesystem::path dir_;
};

// A copy of `src` cut to its first `keep` bytes.
inline std::string truncated_copy(const TempDir& d, const std::string& src, size_t keep,
                                  const std::string& name) {
  std::vector<char> b = slurp(src);
  b.resize(std::min(keep, b.size()));
  const std::string out = d.file(name);
  spit(out, b);
  return out;
}

// Reads a file through the streaming interface, `chunk` events per call; every call must
// return at most `chunk` events, and 0 only at the end.
inline Events read_in_chunks(const std::string& path, size_t chunk, const ReadOptions& opt = {}) {
  auto r = open_event_reader(path, opt);
  Events ev;
  for (;;) {
    const size_t before = ev.size();
    const size_t got = r->read(ev, chunk);
    if (got > chunk || ev.size() != before + got) throw std::runtime_error("bad read() count");
    if (got == 0) break;
  }
  ev.width = r->width();
  ev.height = r->height();
  return ev;
}

inline bool same_events(const Events& a, const Events& b) {
  return a.t == b.t && a.x == b.x && a.y == b.y && a.p == b.p && a.width == b.width &&
         a.height == b.height;
}

}  // namespace soma::test

// Checks every field of an EventRef against the decoded events.
#define SOMA_CHECK_EVENT_REF(ev, ref)                \
  do {                                               \
    const auto s_ = ::soma::test::event_stats(ev);   \
    INFO((ref).name);                                \
    REQUIRE(s_.n == (ref).n);                        \
    CHECK(s_.xmin == (ref).xmin);                    \
    CHECK(s_.xmax == (ref).xmax);                    \
    CHECK(s_.ymin == (ref).ymin);                    \
    CHECK(s_.ymax == (ref).ymax);                    \
    CHECK(s_.tmin == (ref).tmin);                    \
    CHECK(s_.tmax == (ref).tmax);                    \
    CHECK(s_.on == (ref).on);                        \
    CHECK(s_.off == (ref).off);                      \
    CHECK(s_.checksum == (ref).checksum);            \
    CHECK(s_.monotonic);                             \
  } while (0)
