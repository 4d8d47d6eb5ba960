#include <catch2/catch.hpp>

#include <cstring>
#include <regex>
#include <string>

#include "reader_test_util.hpp"
#include "soma/core/error.hpp"
#include "soma/data/readers/event_reader.hpp"

using namespace soma;
using namespace soma::test;

// Reference numbers: /usr/bin/python3 tools/event_decode/decode.py datasets
static const EventRef kDatRefs[] = {
  {"prophesee_samples/ncars_obj_004397_td.dat", 4407, 0, 53, 1, 60, 0, 99937, 1671, 2736, 7420038975ULL},
  {"tonic_samples/sample_ncars.dat", 2009, 0, 77, 0, 41, 0, 99952, 1350, 659, 3044874018ULL},
};
static const EventRef kEvt2Refs[] = {
  {"prophesee_samples/evt2_sample.raw", 539481, 60, 599, 18, 475, 1317888, 1367888, 367855, 171626, 22456082084359ULL},
  {"prophesee_samples/evt2_sparklers_v1.raw", 521252, 0, 639, 0, 479, 913716224, 913812095, 185861, 335391, 14765242486451611ULL},
};
static const EventRef kEvt3Refs[] = {
  {"prophesee_samples/evt3_sample.raw", 219596, 0, 1279, 0, 719, 11718656, 11727457, 115532, 104064, 79805442736737ULL},
  {"prophesee_samples/evt3_pedestrians_small.raw", 5000, 11, 1279, 22, 698, 5840504, 5885714, 2894, 2106, 908643308637ULL},
};

namespace {

// Minimal .npy v1 reader for the expelliarmus reference decodes: structured dtype
// [('t','<i8'),('x','<i2'),('y','<i2'),('p','|u1')] (+ optional padding '|V3'), C order.
Events read_npy_events(const std::string& path) {
  const std::vector<char> b = slurp(path);
  REQUIRE(b.size() > 10);
  REQUIRE(std::memcmp(b.data(), "\x93NUMPY\x01\x00", 8) == 0);
  const size_t hlen = uint8_t(b[8]) | (uint8_t(b[9]) << 8);
  const std::string h(b.data() + 10, hlen);
  REQUIRE(h.find("('t', '<i8'), ('x', '<i2'), ('y', '<i2'), ('p', '|u1')") != std::string::npos);
  REQUIRE(h.find("'fortran_order': False") != std::string::npos);
  const size_t item = h.find("'|V3'") != std::string::npos ? 16 : 13;
  std::smatch m;
  REQUIRE(std::regex_search(h, m, std::regex("'shape': \\((\\d+),\\)")));
  const size_t n = std::stoul(m[1]);
  const char* d = b.data() + 10 + hlen;
  REQUIRE(b.size() == 10 + hlen + n * item);
  Events ev;
  for (size_t i = 0; i < n; ++i, d += item) {
    int64_t t;
    int16_t x, y;
    std::memcpy(&t, d, 8);
    std::memcpy(&x, d + 8, 2);
    std::memcpy(&y, d + 10, 2);
    ev.push_back(t, uint16_t(x), uint16_t(y), int8_t(d[12]));
  }
  return ev;
}

}  // namespace

TEST_CASE("Prophesee DAT: N-CARS files match the decoder and the .npy event for event",
          "[data][readers]") {
  for (const EventRef& ref : kDatRefs) {
    const std::string path = dataset_path(ref.name);
    CHECK(detect_format(path) == EventFormat::kPropheseeDat);
    const Events ev = read_events(path);
    SOMA_CHECK_EVENT_REF(ev, ref);
    CHECK(ev.width == ref.xmax + 1);  // no geometry in the header: max + 1
    CHECK(ev.height == ref.ymax + 1);
  }
  const Events ev = read_events(dataset_path(kDatRefs[0].name));
  const Events npy =
      read_npy_events(dataset_path("prophesee_samples/ncars_obj_004397_td.expelliarmus_ref.npy"));
  CHECK(ev.t == npy.t);
  CHECK(ev.x == npy.x);
  CHECK(ev.y == npy.y);
  CHECK(ev.p == npy.p);
}

TEST_CASE("EVT 2.0: real recordings match the decoder", "[data][readers]") {
  for (const EventRef& ref : kEvt2Refs) {
    const std::string path = dataset_path(ref.name);
    CHECK(detect_format(path) == EventFormat::kEvt2);
    const Events ev = read_events(path);
    SOMA_CHECK_EVENT_REF(ev, ref);
    CHECK(ev.width == 640);  // Gen3 plugin in the header
    CHECK(ev.height == 480);
  }
}

TEST_CASE("EVT 3.0: real recordings match the decoder; x, y, p match the .npy",
          "[data][readers]") {
  const char* npys[] = {"prophesee_samples/evt3_sample.expelliarmus_ref_xyp_only.npy",
                        "prophesee_samples/evt3_pedestrians_small.expelliarmus_ref_xyp_only.npy"};
  for (int i = 0; i < 2; ++i) {
    const EventRef& ref = kEvt3Refs[i];
    const std::string path = dataset_path(ref.name);
    CHECK(detect_format(path) == EventFormat::kEvt3);
    const Events ev = read_events(path);
    SOMA_CHECK_EVENT_REF(ev, ref);
    CHECK(ev.width == 1280);  // Gen4.1 plugin in the header
    CHECK(ev.height == 720);
    const Events npy = read_npy_events(dataset_path(npys[i]));
    CHECK(ev.x == npy.x);
    CHECK(ev.y == npy.y);
    CHECK(ev.p == npy.p);
    CHECK(ev.t != npy.t);  // the README's caveat: the reference t is off by k*4096 µs
  }
}

TEST_CASE("Prophesee: streaming in small chunks equals the whole-file read", "[data][readers]") {
  for (const char* f : {"prophesee_samples/evt3_sample.raw", "prophesee_samples/evt2_sample.raw",
                        "prophesee_samples/ncars_obj_004397_td.dat"}) {
    const Events all = read_events(dataset_path(f));
    for (size_t chunk : {1, 5, 777, 100000}) {
      INFO(f << " chunk " << chunk);
      CHECK(same_events(read_in_chunks(dataset_path(f), chunk), all));
    }
  }
}

TEST_CASE("Prophesee: truncated and corrupt copies -> IoError with byte offset",
          "[data][readers]") {
  TempDir d("prophesee_bad");
  const std::string dat = dataset_path("prophesee_samples/ncars_obj_004397_td.dat");
  const std::vector<char> b = slurp(dat);
  const size_t body = b.size() - 4407 * 8;  // header + 2 type/size bytes
  const std::string cut = truncated_copy(d, dat, body + 8 * 100 + 6, "cut.dat");
  CHECK_THROWS_WITH(read_events(cut),
                    Catch::Contains("cut.dat: byte " + std::to_string(body + 800) +
                                    ": truncated event record (6 of 8 bytes)"));
  // Polarity nibble 7 in record 3.
  std::vector<char> c = b;
  c[body + 3 * 8 + 7] = char(0x70);
  spit(d.file("pol.dat"), c);
  CHECK_THROWS_WITH(read_events(d.file("pol.dat")),
                    Catch::Contains("byte " + std::to_string(body + 24) + ": polarity 7"));
  // A declared sensor smaller than the data.
  ReadOptions small;
  small.width = 40;
  small.height = 40;
  CHECK_THROWS_WITH(read_events(dat, small), Catch::Contains("outside the sensor 40x40"));

  // EVT3: an odd number of body bytes, and an x beyond the 1280-wide sensor.
  const std::string e3 = dataset_path("prophesee_samples/evt3_pedestrians_small.raw");
  const std::vector<char> e = slurp(e3);
  spit(d.file("odd.raw"), std::vector<char>(e.begin(), e.end() - 1));
  CHECK_THROWS_WITH(read_events(d.file("odd.raw")),
                    Catch::Contains("odd.raw: byte " + std::to_string(e.size() - 2) +
                                    ": truncated 16-bit word"));
  std::vector<char> f = e;
  const size_t hdr = std::string(e.data(), e.size()).find("system_ID 48\n") + 13;
  // Find the first ADDR_X word (type 0x2) after the header and set x = 2047.
  size_t at = hdr;
  while ((uint8_t(f[at + 1]) >> 4) != 0x2) at += 2;
  f[at] = char(0xFF);
  f[at + 1] = char(0x27);
  spit(d.file("x.raw"), f);
  CHECK_THROWS_WITH(read_events(d.file("x.raw")),
                    Catch::Contains("x.raw: byte " + std::to_string(at) + ": event (x=2047"));
  // Forcing DAT on an EVT2 file: the type/size bytes after the header are not CD/8.
  ReadOptions force;
  force.format = EventFormat::kPropheseeDat;
  CHECK_THROWS_AS(read_events(dataset_path("prophesee_samples/evt2_sample.raw"), force), IoError);
}
