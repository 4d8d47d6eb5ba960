#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <string>

#include "reader_test_util.hpp"
#include "soma/core/error.hpp"
#include "soma/data/readers/event_reader.hpp"
#include "soma/data/readers/text_events.hpp"

using namespace soma;
using namespace soma::test;

TEST_CASE("Text events: writer -> reader round trip on a real file", "[data][readers]") {
  TempDir d("text_rt");
  const Events ev = read_events(dataset_path("tonic_samples/sample_ncars.dat"));
  write_text_events(d.file("ev.txt"), ev);
  CHECK(detect_format(d.file("ev.txt")) == EventFormat::kText);
  const Events back = read_events(d.file("ev.txt"));
  CHECK(same_events(back, ev));  // width/height from the "# ... width=W height=H" comment
  CHECK(same_events(read_in_chunks(d.file("ev.txt"), 3), ev));
}

TEST_CASE("Text events: CSV with a column header, comments and -1 polarity",
          "[data][readers]") {
  TempDir d("text_csv");
  {
    std::ofstream f(d.file("ev.csv"), std::ios::binary);
    f << "# recorded by hand\r\nt,x,y,p\r\n10,1,2,1\r\n\r\n20, 3, 4, -1\r\n30;5;6;0\n40\t7\t8\t1";
  }
  const Events ev = read_events(d.file("ev.csv"));
  REQUIRE(ev.size() == 4);
  CHECK(ev.t == std::vector<int64_t>{10, 20, 30, 40});
  CHECK(ev.x == std::vector<uint16_t>{1, 3, 5, 7});
  CHECK(ev.p == std::vector<int8_t>{1, 0, 0, 1});
  CHECK(ev.width == 8);
  CHECK(ev.height == 9);
  {
    std::ofstream f(d.file("bad.csv"), std::ios::binary);
    f << "10 1 2 1\n20 1 x 1\n";
  }
  CHECK_THROWS_WITH(read_events(d.file("bad.csv")), Catch::Contains("bad.csv: byte 9: line 2"));
  {
    std::ofstream f(d.file("pol.txt"), std::ios::binary);
    f << "10 1 2 5\n";
  }
  CHECK_THROWS_WITH(read_events(d.file("pol.txt")), Catch::Contains("polarity 5"));
  {
    std::ofstream f(d.file("size.txt"), std::ios::binary);
    f << "# width=4 height=4\n10 1 2 1\n11 4 2 1\n";
  }
  CHECK_THROWS_WITH(read_events(d.file("size.txt")), Catch::Contains("line 3: event (x=4"));
}

TEST_CASE("detect_format: magic bytes first, extension second", "[data][readers]") {
  TempDir d("detect");
  struct Case {
    const char* file;
    EventFormat f;
  } cases[] = {
      {"nmnist_small/1.bs2", EventFormat::kAtisBin},
      {"tonic_samples/sample_nmnist.bin", EventFormat::kAtisBin},
      {"ntidigits_slayer/NTIDIGITS_1.bs1", EventFormat::kSlayerBs1},
      {"mnist_dvs_digit0/mnist_0_scale04_0001.aedat", EventFormat::kAedat2},
      {"tonic_samples/sample_aedat_header.aedat", EventFormat::kAedat2},
      {"tonic_samples/sample.aedat4", EventFormat::kAedat4},
      {"tonic_samples/sample_ncars.dat", EventFormat::kPropheseeDat},
      {"prophesee_samples/evt2_sparklers_v1.raw", EventFormat::kEvt2},
      {"prophesee_samples/evt3_sample.raw", EventFormat::kEvt3},
  };
  for (const Case& c : cases) {
    INFO(c.file);
    CHECK(detect_format(dataset_path(c.file)) == c.f);
    // Magic-based formats are found under any name.
    if (c.f != EventFormat::kAtisBin && c.f != EventFormat::kSlayerBs1) {
      spit(d.file("renamed.xyz"), slurp(dataset_path(c.file)));
      CHECK(detect_format(d.file("renamed.xyz")) == c.f);
    }
  }
  spit(d.file("h.h5"), {'\x89', 'H', 'D', 'F', '\r', '\n', '\x1a', '\n', 0, 0});
  CHECK(detect_format(d.file("h.h5")) == EventFormat::kShdH5);
  CHECK_THROWS_AS(read_events(d.file("h.h5")), IoError);  // HDF5 magic, truncated file
  spit(d.file("mystery.xyz"), {'\x01', '\x02', '\xff', '\x00'});
  CHECK_THROWS_WITH(detect_format(d.file("mystery.xyz")),
                    Catch::Contains("mystery.xyz: byte 0: unknown event file format"));
  CHECK_THROWS_AS(detect_format(d.file("does_not_exist.bin")), IoError);
}

TEST_CASE("format names round-trip", "[data][readers]") {
  for (EventFormat f : {EventFormat::kAuto, EventFormat::kAtisBin, EventFormat::kSlayerBs1,
                        EventFormat::kAedat2, EventFormat::kAedat31, EventFormat::kAedat4,
                        EventFormat::kPropheseeDat, EventFormat::kEvt2, EventFormat::kEvt3,
                        EventFormat::kShdH5, EventFormat::kText})
    CHECK(parse_format(format_name(f)) == f);
  CHECK(parse_format("BS2") == EventFormat::kAtisBin);
  CHECK(parse_format("csv") == EventFormat::kText);
  CHECK_THROWS_WITH(parse_format("aedat5"), Catch::Contains("known: auto, atis_bin"));
}

TEST_CASE("readers: throughput of the ATIS and EVT3 readers", "[.][perf]") {
  // Not run by default: `build/test_data "[perf]"`. Prints events/s on one core.
  for (const char* f : {"dvs128_clips_slayer/5.bs2", "prophesee_samples/evt3_sample.raw",
                        "prophesee_samples/evt2_sample.raw", "tonic_samples/sample.aedat4"}) {
    const std::string path = dataset_path(f);
    size_t total = 0;
    Events ev;
    const auto t0 = std::chrono::steady_clock::now();
    for (int rep = 0; rep < 50; ++rep) {
      auto r = open_event_reader(path);
      ev.clear();
      while (r->read(ev, size_t{1} << 20) > 0) {
      }
      total += ev.size();
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    WARN(f << ": " << total / s / 1e6 << " M events/s");
    CHECK(total > 0);
  }
}
