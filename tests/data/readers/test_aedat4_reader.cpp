#include <catch2/catch.hpp>

#include <string>

#include "reader_test_util.hpp"
#include "soma/core/error.hpp"
#include "soma/data/readers/event_reader.hpp"

using namespace soma;
using namespace soma::test;

// Reference numbers: /usr/bin/python3 tools/event_decode/decode.py datasets (59 EVTS packets)
static const EventRef kAedat4Ref = {"tonic_samples/sample.aedat4", 111954, 0, 319, 0, 239,
                                    1605537493718345, 1605537494308262, 55023, 56931,
                                    1219972446196911988ULL};

TEST_CASE("AEDAT 4.0: the DVXplorer sample matches the decoder", "[data][readers]") {
  const std::string path = dataset_path(kAedat4Ref.name);
  CHECK(detect_format(path) == EventFormat::kAedat4);
  const Events ev = read_events(path);
  SOMA_CHECK_EVENT_REF(ev, kAedat4Ref);
  CHECK(ev.width == 320);  // sizeX/sizeY of the EVTS stream
  CHECK(ev.height == 240);
  for (size_t chunk : {1, 1000, 1 << 20}) CHECK(same_events(read_in_chunks(path, chunk), ev));
}

TEST_CASE("AEDAT 4.0: corrupt and truncated copies -> IoError with byte offset",
          "[data][readers]") {
  TempDir d("aedat4_bad");
  const std::string src = dataset_path(kAedat4Ref.name);
  const std::vector<char> b = slurp(src);
  // The first packet starts right after the 2316-byte header FlatBuffer at 18.
  const size_t first = 18 + 2316;
  // Cut in the middle of the first packet's payload.
  const std::string cut = truncated_copy(d, src, first + 8 + 50, "cut.aedat4");
  CHECK_THROWS_WITH(read_events(cut), Catch::Contains("cut.aedat4: byte " +
                                                      std::to_string(first) + ": packet of"));
  // An absurd header length.
  std::vector<char> c = b;
  c[17] = char(0x7F);
  spit(d.file("hdr.aedat4"), c);
  CHECK_THROWS_WITH(read_events(d.file("hdr.aedat4")),
                    Catch::Contains("hdr.aedat4: byte 14: header length"));
  // Garbage in the header FlatBuffer's root offset.
  c = b;
  c[18] = char(0xF0);
  c[19] = char(0xFF);
  spit(d.file("root.aedat4"), c);
  CHECK_THROWS_WITH(read_events(d.file("root.aedat4")), Catch::Contains("root.aedat4: byte 18: corrupt"));
  // Scrambled compressed payload bytes of every packet -> LZ4 error or corrupt FlatBuffer.
  c = b;
  for (size_t i = first + 8 + 20; i < first + 8 + 200; ++i) c[i] = char(i * 37);
  spit(d.file("lz4.aedat4"), c);
  CHECK_THROWS_WITH(read_events(d.file("lz4.aedat4")),
                    Catch::Contains("lz4.aedat4: byte " + std::to_string(first) + ":"));
  // Wrong magic.
  c = b;
  c[11] = '9';
  spit(d.file("magic.aedat4"), c);
  ReadOptions opt;
  opt.format = EventFormat::kAedat4;
  CHECK_THROWS_WITH(read_events(d.file("magic.aedat4"), opt), Catch::Contains("byte 0: not an AEDAT 4.0"));
}
