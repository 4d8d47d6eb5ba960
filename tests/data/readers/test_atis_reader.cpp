#include <catch2/catch.hpp>

#include <string>

#include "reader_test_util.hpp"
#include "soma/core/error.hpp"
#include "soma/data/readers/event_reader.hpp"

using namespace soma;
using namespace soma::test;

// Reference numbers: /usr/bin/python3 tools/event_decode/decode.py datasets
static const EventRef kAtisRefs[] = {
  {"tonic_samples/sample_nmnist.bin", 4325, 0, 33, 0, 33, 654, 311175, 2145, 2180, 21405848692ULL},
  {"nmnist_small/1.bs2", 4681, 0, 33, 0, 33, 893, 305924, 2328, 2353, 19392374491ULL},
  {"nmnist_small/2.bs2", 5028, 0, 33, 0, 33, 937, 305341, 2509, 2519, 23148292229ULL},
  {"nmnist_small/1000.bs2", 3858, 0, 33, 0, 33, 596, 306799, 1911, 1947, 17599914663ULL},
  {"nmnist_small/60001.bs2", 3330, 0, 33, 0, 33, 5087, 307827, 1718, 1612, 14563108939ULL},
  {"nmnist_small/60100.bs2", 4877, 0, 33, 1, 33, 381, 304645, 2392, 2485, 22734805301ULL},
  {"dvs128_clips_slayer/1.bs2", 63471, 0, 127, 0, 127, 28, 1449996, 32164, 31307, 1459699192532ULL},
  {"dvs128_clips_slayer/2.bs2", 84260, 0, 127, 0, 127, 45, 1449969, 43472, 40788, 1909138291938ULL},
  {"dvs128_clips_slayer/3.bs2", 113063, 0, 127, 0, 127, 2, 1449994, 55396, 57667, 2358984450380ULL},
  {"dvs128_clips_slayer/4.bs2", 151879, 0, 127, 0, 127, 3, 1449993, 77731, 74148, 3324753490769ULL},
  {"dvs128_clips_slayer/5.bs2", 181179, 0, 127, 0, 127, 8, 1449984, 93262, 87917, 4102774594492ULL},
  {"dvs128_clips_slayer/6.bs2", 124244, 0, 127, 0, 127, 6, 1449995, 61259, 62985, 3027850859135ULL},
  {"dvs128_clips_slayer/7.bs2", 159617, 0, 127, 0, 127, 10, 1449997, 77603, 82014, 3663847090910ULL},
  {"dvs128_clips_slayer/8.bs2", 101288, 0, 127, 0, 127, 10, 1449984, 50762, 50526, 2286579725014ULL},
  {"dvs128_clips_slayer/9.bs2", 141773, 0, 127, 0, 127, 25, 1449993, 70469, 71304, 3220521365713ULL},
  {"dvs128_clips_slayer/10.bs2", 85936, 0, 127, 0, 127, 24, 1449982, 47461, 38475, 1960315178615ULL},
};

TEST_CASE("ATIS .bin/.bs2: real files match the independent decoder", "[data][readers]") {
  for (const EventRef& ref : kAtisRefs) {
    const std::string path = dataset_path(ref.name);
    CHECK(detect_format(path) == EventFormat::kAtisBin);
    const Events ev = read_events(path);
    SOMA_CHECK_EVENT_REF(ev, ref);
    // Sensor size = max coordinate + 1: N-MNIST 34x34, the DVS128 clips 128x128.
    CHECK(ev.width == ref.xmax + 1);
    CHECK(ev.height == ref.ymax + 1);
  }
}

TEST_CASE("ATIS .bs2: the whole N-MNIST subset matches decoder and README totals",
          "[data][readers]") {
  // decode.py group row: 4518827 events, x,y 0..33, t 0..336040, ON 2250078 / OFF 2268749.
  EventStats tot;
  uint16_t max_w = 0, max_h = 0;
  auto add = [&](int id) {
    const Events ev = read_events(dataset_path("nmnist_small/" + std::to_string(id) + ".bs2"));
    const EventStats s = event_stats(ev);
    tot.n += s.n;
    tot.on += s.on;
    tot.off += s.off;
    tot.checksum += s.checksum;
    tot.tmax = std::max(tot.tmax, s.tmax);
    tot.monotonic = tot.monotonic && s.monotonic;
    max_w = std::max(max_w, ev.width);
    max_h = std::max(max_h, ev.height);
  };
  for (int id = 1; id <= 1000; ++id) add(id);
  for (int id = 60001; id <= 60100; ++id) add(id);
  CHECK(tot.n == 4518827);
  CHECK(tot.on == 2250078);
  CHECK(tot.off == 2268749);
  CHECK(tot.tmax == 336040);
  CHECK(tot.checksum == 20726639096586ULL);
  CHECK(tot.monotonic);
  CHECK(max_w == 34);
  CHECK(max_h == 34);
}

TEST_CASE("SLAYER .bs1: N-TIDIGITS sample, channel in x, y = 0", "[data][readers]") {
  const EventRef ref{"ntidigits_slayer/NTIDIGITS_1.bs1", 898, 0, 63, 0, 0, 0, 1079040, 898, 0,
                     13793723660ULL};
  const std::string path = dataset_path(ref.name);
  CHECK(detect_format(path) == EventFormat::kSlayerBs1);
  const Events ev = read_events(path);
  SOMA_CHECK_EVENT_REF(ev, ref);
  CHECK(ev.width == 64);
  CHECK(ev.height == 1);
}

TEST_CASE("ATIS: declared sensor size is honoured and enforced", "[data][readers]") {
  ReadOptions opt;
  opt.width = 34;
  opt.height = 34;
  const Events ev = read_events(dataset_path("nmnist_small/1.bs2"), opt);
  CHECK(ev.size() == 4681);
  CHECK(ev.width == 34);
  opt.width = opt.height = 40;
  CHECK(read_events(dataset_path("nmnist_small/1.bs2"), opt).width == 40);
  // The DVS128 clips have x up to 127: a 34x34 declaration must fail with a byte offset.
  opt.width = opt.height = 34;
  try {
    read_events(dataset_path("dvs128_clips_slayer/1.bs2"), opt);
    FAIL("expected IoError");
  } catch (const IoError& e) {
    const std::string msg = e.what();
    CHECK(msg.find("1.bs2: byte ") != std::string::npos);
    CHECK(msg.find("outside the declared sensor 34x34") != std::string::npos);
  }
}

TEST_CASE("ATIS: 23-bit timestamps are unwrapped", "[data][readers]") {
  TempDir d("atis_wrap");
  // Three events: t = 8388000 (near 2^23), then raw 100 (wrapped), then raw 200.
  auto rec = [](uint8_t x, uint8_t y, int p, uint32_t t) {
    return std::vector<char>{char(x), char(y), char((p << 7) | ((t >> 16) & 0x7F)),
                             char((t >> 8) & 0xFF), char(t & 0xFF)};
  };
  std::vector<char> b;
  for (auto r : {rec(1, 2, 1, 8388000), rec(3, 4, 0, 100), rec(5, 6, 1, 200)})
    b.insert(b.end(), r.begin(), r.end());
  spit(d.file("wrap.bin"), b);
  const Events ev = read_events(d.file("wrap.bin"));
  REQUIRE(ev.size() == 3);
  CHECK(ev.t[0] == 8388000);
  CHECK(ev.t[1] == (int64_t{1} << 23) + 100);
  CHECK(ev.t[2] == (int64_t{1} << 23) + 200);
  CHECK(ev.p[0] == 1);
  CHECK(ev.p[1] == 0);
  CHECK(ev.x[2] == 5);
  CHECK(ev.y[2] == 6);
  CHECK(ev.width == 6);
  CHECK(ev.height == 7);
}

TEST_CASE("ATIS: truncated file -> IoError with file and byte offset", "[data][readers]") {
  TempDir d("atis_trunc");
  // 1.bs2 has 4681 records (23405 bytes); keep 4680 records + 3 bytes.
  const std::string p = truncated_copy(d, dataset_path("nmnist_small/1.bs2"), 23403, "cut.bs2");
  try {
    read_events(p);
    FAIL("expected IoError");
  } catch (const IoError& e) {
    const std::string msg = e.what();
    CHECK(msg.find("cut.bs2: byte 23400: truncated event record (3 of 5 bytes") !=
          std::string::npos);
  }
  // Streaming: the complete records come out first, the error at the end.
  auto r = open_event_reader(p);
  Events ev;
  CHECK(r->read(ev, 4680) == 4680);
  CHECK_THROWS_AS(r->read(ev, 10), IoError);
}

TEST_CASE("ATIS: streaming in small chunks equals the whole-file read", "[data][readers]") {
  for (const char* f : {"dvs128_clips_slayer/5.bs2", "nmnist_small/2.bs2"}) {
    const Events all = read_events(dataset_path(f));
    for (size_t chunk : {1, 7, 1000, 1 << 20})
      CHECK(same_events(read_in_chunks(dataset_path(f), chunk), all));
  }
}
