#include <catch2/catch.hpp>

#include <string>

#include "reader_test_util.hpp"
#include "soma/core/error.hpp"
#include "soma/data/readers/event_reader.hpp"

using namespace soma;
using namespace soma::test;

// Reference numbers (jAER convention: p = 1 - raw, x = 127 - raw_x):
//   /usr/bin/python3 tools/event_decode/decode.py datasets
static const EventRef kAedat2Refs[] = {
  {"mnist_dvs_digit0/mnist_0_scale04_0001.aedat", 15744, 1, 127, 1, 127, 0, 2210588, 7870, 7874, 508484083745ULL},
  {"mnist_dvs_digit0/mnist_0_scale04_0002.aedat", 16738, 0, 127, 1, 127, 0, 2381690, 8426, 8312, 580384610110ULL},
  {"dvs128_jaer_recordings/DVS128-2017-03-21-short.aedat", 130114, 0, 127, 0, 127, 113476330, 119657829, 74991, 55123, 470928152655124ULL},
  {"dvs128_jaer_recordings/DVS128-2017-03-21T16-00-20-0700-0.aedat", 370039, 0, 127, 0, 127, 85229871, 108732906, 196611, 173428, 1124299553312485ULL},
};

TEST_CASE("AEDAT 2.0: real files (5-line and 77-line headers) match the decoder",
          "[data][readers]") {
  for (const EventRef& ref : kAedat2Refs) {
    const std::string path = dataset_path(ref.name);
    CHECK(detect_format(path) == EventFormat::kAedat2);
    const Events ev = read_events(path);
    SOMA_CHECK_EVENT_REF(ev, ref);
    CHECK(ev.width == 128);
    CHECK(ev.height == 128);
  }
}

TEST_CASE("AEDAT 2.0: MNIST-DVS digit-0 set totals; conventions are switchable",
          "[data][readers]") {
  // decode.py group row: 504680 events, ON 256323 / OFF 248357, checksum 17389171446657.
  EventStats tot;
  size_t raw_on = 0;
  ReadOptions raw;
  raw.aedat2_invert_polarity = false;
  raw.aedat2_mirror_x = false;
  for (int i = 1; i <= 30; ++i) {
    char name[64];
    std::snprintf(name, sizeof name, "mnist_dvs_digit0/mnist_0_scale04_%04d.aedat", i);
    const Events ev = read_events(dataset_path(name));
    const EventStats s = event_stats(ev);
    tot.n += s.n;
    tot.on += s.on;
    tot.off += s.off;
    tot.checksum += s.checksum;
    const Events r = read_events(dataset_path(name), raw);
    REQUIRE(r.size() == ev.size());
    for (size_t k = 0; k < ev.size(); ++k) {
      REQUIRE(r.x[k] == 127 - ev.x[k]);
      REQUIRE(r.p[k] == 1 - ev.p[k]);
    }
    raw_on += event_stats(r).on;
  }
  CHECK(tot.n == 504680);
  CHECK(tot.on == 256323);  // README: raw_pol0 256,323 (jAER reads raw 0 as ON)
  CHECK(tot.off == 248357);
  CHECK(raw_on == 248357);
  CHECK(tot.checksum == 17389171446657ULL);
}

TEST_CASE("AEDAT 2.0: first MNIST-DVS events decode as in the README", "[data][readers]") {
  // README: the first file starts (addr, t) = (0x4390, 0), (0x3b84, 85).
  ReadOptions raw;
  raw.aedat2_invert_polarity = false;
  raw.aedat2_mirror_x = false;
  const Events ev = read_events(dataset_path("mnist_dvs_digit0/mnist_0_scale04_0001.aedat"), raw);
  REQUIRE(ev.size() > 2);
  CHECK(ev.t[0] == 0);
  CHECK(ev.x[0] == ((0x4390 >> 1) & 0x7F));
  CHECK(ev.y[0] == ((0x4390 >> 8) & 0x7F));
  CHECK(ev.p[0] == 0);
  CHECK(ev.t[1] == 85);
  CHECK(ev.x[1] == ((0x3b84 >> 1) & 0x7F));
  CHECK(ev.y[1] == 0x3b);
}

TEST_CASE("AEDAT 2.0: the header-only Davis346 file reads as zero events", "[data][readers]") {
  const std::string path = dataset_path("tonic_samples/sample_aedat_header.aedat");
  CHECK(detect_format(path) == EventFormat::kAedat2);
  auto r = open_event_reader(path);
  Events ev;
  CHECK(r->read(ev, 1000) == 0);
  CHECK(ev.empty());
  CHECK(read_events(path).empty());
}

TEST_CASE("AEDAT 2.0: truncated and corrupt copies -> IoError with byte offset",
          "[data][readers]") {
  TempDir d("aedat2_bad");
  const std::string src = dataset_path("dvs128_jaer_recordings/DVS128-2017-03-21-short.aedat");
  // Data starts at byte 3383; keep one full record and 5 bytes of the next.
  const std::string cut = truncated_copy(d, src, 3383 + 8 + 5, "cut.aedat");
  try {
    read_events(cut);
    FAIL("expected IoError");
  } catch (const IoError& e) {
    CHECK(std::string(e.what()).find("cut.aedat: byte 3391: truncated event record (5 of 8 "
                                     "bytes)") != std::string::npos);
  }
  // An address with high bits set (misaligned data) is reported at its record.
  std::vector<char> b = slurp(src);
  b[3383 + 8 * 10] = char(0x7F);
  spit(d.file("addr.aedat"), b);
  try {
    read_events(d.file("addr.aedat"));
    FAIL("expected IoError");
  } catch (const IoError& e) {
    CHECK(std::string(e.what()).find("addr.aedat: byte 3463: address 0x7f") != std::string::npos);
  }
  // Wrong magic: forced AEDAT 2 on an ATIS file.
  ReadOptions opt;
  opt.format = EventFormat::kAedat2;
  CHECK_THROWS_AS(read_events(dataset_path("nmnist_small/1.bs2"), opt), IoError);
}

TEST_CASE("AEDAT 2.0: streaming in small chunks equals the whole-file read", "[data][readers]") {
  const std::string path = dataset_path("dvs128_jaer_recordings/DVS128-2017-03-21-short.aedat");
  const Events all = read_events(path);
  for (size_t chunk : {3, 4096}) CHECK(same_events(read_in_chunks(path, chunk), all));
}
