#include <catch2/catch.hpp>

#include <string>

#include "soma/core/error.hpp"
#include "soma/data/readers/event_reader.hpp"

using namespace soma;

namespace {
std::string ds(const std::string& rel) { return std::string(SOMA_SOURCE_DIR) + "/datasets/" + rel; }
}  // namespace

TEST_CASE("ATIS .bin: tonic's N-MNIST sample matches the README", "[data][readers]") {
  const std::string path = ds("tonic_samples/sample_nmnist.bin");
  CHECK(detect_format(path) == EventFormat::kAtisBin);
  const Events ev = read_events(path);
  REQUIRE(ev.size() == 4325);
  CHECK(ev.width == 34);
  CHECK(ev.height == 34);
  CHECK(ev.t.front() == 654);
  CHECK(ev.t.back() == 311175);
}

TEST_CASE("ATIS .bs2: the N-MNIST subset totals match the README", "[data][readers]") {
  size_t total = 0, on = 0;
  for (int id = 1; id <= 1000; ++id) {
    const Events ev = read_events(ds("nmnist_small/" + std::to_string(id) + ".bs2"));
    total += ev.size();
    for (int8_t p : ev.p) on += p == 1;
    REQUIRE(ev.width <= 34);
  }
  for (int id = 60001; id <= 60100; ++id) {
    const Events ev = read_events(ds("nmnist_small/" + std::to_string(id) + ".bs2"));
    total += ev.size();
    for (int8_t p : ev.p) on += p == 1;
  }
  CHECK(total == 4518827);
  CHECK(on == 2250078);
}
