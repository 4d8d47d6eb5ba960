#include <catch2/catch.hpp>

#include <fstream>
#include <string>

#include "reader_test_util.hpp"
#include "soma/core/error.hpp"
#include "soma/data/readers/aedat31.hpp"
#include "soma/data/readers/event_reader.hpp"
#include "soma/data/readers/gesture_labels.hpp"

using namespace soma;
using namespace soma::test;

// No real AEDAT 3.1 file is available: real DVS128 clips (SLAYER .bs2) go through the writer.
TEST_CASE("AEDAT 3.1: writer -> reader round trip on a real DVS128 clip", "[data][readers]") {
  TempDir d("aedat31_rt");
  Events ev = read_events(dataset_path("dvs128_clips_slayer/1.bs2"));
  REQUIRE(ev.size() == 63471);
  const std::string path = d.file("clip.aedat");
  write_aedat31(path, ev);
  CHECK(detect_format(path) == EventFormat::kAedat31);
  const Events back = read_events(path);
  CHECK(same_events(back, ev));  // 128x128 from "#Source 1: DVS128"
  CHECK(back.width == 128);
  // Streaming across packet boundaries (8192 events per packet).
  CHECK(same_events(read_in_chunks(path, 5000), ev));
  CHECK(same_events(read_in_chunks(path, 1), ev));
}

TEST_CASE("AEDAT 3.1: timestamps beyond 2^31 use eventTSOverflow; odd sensor sizes",
          "[data][readers]") {
  TempDir d("aedat31_ovf");
  Events ev;
  ev.width = 346;
  ev.height = 260;
  ev.push_back(5, 0, 0, 1);
  ev.push_back((int64_t{1} << 31) - 1, 345, 259, 0);
  ev.push_back((int64_t{1} << 31) + 7, 10, 20, 1);
  ev.push_back((int64_t{3} << 31) + 9, 11, 21, 0);
  write_aedat31(d.file("o.aedat"), ev);
  const Events back = read_events(d.file("o.aedat"));
  CHECK(same_events(back, ev));
}

TEST_CASE("AEDAT 3.1: corrupt and truncated files -> IoError with byte offset",
          "[data][readers]") {
  TempDir d("aedat31_bad");
  Events ev = read_events(dataset_path("nmnist_small/1.bs2"));
  ev.width = ev.height = 34;
  const std::string path = d.file("good.aedat");
  write_aedat31(path, ev);
  std::vector<char> b = slurp(path);
  const size_t header = std::string(b.data(), b.size()).find("#!END-HEADER\r\n") + 14;
  // Cut inside the packet: the header announces more bytes than follow.
  spit(d.file("cut.aedat"), std::vector<char>(b.begin(), b.begin() + header + 28 + 100));
  try {
    read_events(d.file("cut.aedat"));
    FAIL("expected IoError");
  } catch (const IoError& e) {
    const std::string msg = e.what();
    CHECK(msg.find("cut.aedat: byte " + std::to_string(header) + ": truncated packet") !=
          std::string::npos);
  }
  // Cut inside the packet header.
  spit(d.file("cut2.aedat"), std::vector<char>(b.begin(), b.begin() + header + 10));
  CHECK_THROWS_WITH(read_events(d.file("cut2.aedat")),
                    Catch::Contains("byte " + std::to_string(header) +
                                    ": truncated packet header (10 of 28 bytes)"));
  // eventNumber > eventCapacity.
  std::vector<char> c = b;
  c[header + 20] = char(0xFF);
  c[header + 23] = char(0x7F);
  spit(d.file("num.aedat"), c);
  CHECK_THROWS_WITH(read_events(d.file("num.aedat")), Catch::Contains("eventNumber"));
  // An x outside the declared 34x34 sensor (first event of the packet).
  c = b;
  c[header + 28 + 3] = char(0x7F);
  spit(d.file("x.aedat"), c);
  CHECK_THROWS_WITH(read_events(d.file("x.aedat")),
                    Catch::Contains("byte " + std::to_string(header + 28) + ": event (x="));
}

TEST_CASE("DVS Gesture labels: CSV -> segments -> time slices", "[data][readers]") {
  TempDir d("gesture_labels");
  {
    std::ofstream f(d.file("user01_led_labels.csv"), std::ios::binary);
    f << "class,startTime_usec,endTime_usec\r\n1,100,200\r\n2,250,400\r\n\r\n11,400,1000\r\n";
  }
  const auto segs = read_gesture_labels(d.file("user01_led_labels.csv"));
  REQUIRE(segs.size() == 3);
  CHECK(segs[0].label == 1);
  CHECK(segs[1].t_start == 250);
  CHECK(segs[2].label == 11);
  CHECK(segs[2].t_end == 1000);

  Events ev;
  ev.width = ev.height = 128;
  for (int64_t t = 0; t < 1100; t += 50) ev.push_back(t, uint16_t(t % 128), 3, 1);
  // Round trip through AEDAT 3.1, then cut [start, end).
  write_aedat31(d.file("user01_led.aedat"), ev);
  const Events trial = read_events(d.file("user01_led.aedat"));
  const Events s0 = slice_time(trial, segs[0].t_start, segs[0].t_end);
  REQUIRE(s0.size() == 2);  // t = 100, 150 (200 excluded)
  CHECK(s0.t.front() == 100);
  CHECK(s0.t.back() == 150);
  CHECK(s0.width == 128);
  const Events s2 = slice_time(trial, segs[2].t_start, segs[2].t_end);
  CHECK(s2.size() == 12);  // 400..950
  CHECK(slice_time(trial, 5000, 6000).empty());

  {
    std::ofstream f(d.file("bad.csv"));
    f << "class,startTime_usec,endTime_usec\n1,100,200\n2,abc,400\n";
  }
  CHECK_THROWS_WITH(read_gesture_labels(d.file("bad.csv")), Catch::Contains("bad.csv: line 3"));
  {
    std::ofstream f(d.file("rev.csv"));
    f << "3,500,400\n";
  }
  CHECK_THROWS_AS(read_gesture_labels(d.file("rev.csv")), IoError);
}
