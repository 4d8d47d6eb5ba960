#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "reader_test_util.hpp"
#include "soma/core/error.hpp"
#include "soma/data/readers/event_reader.hpp"

using namespace soma;
using namespace soma::test;

// Randomly corrupted and truncated copies of real files: every outcome must be either a clean
// read or a soma::Error (IoError / NotImplementedError), never a crash or a runaway allocation.
TEST_CASE("readers: random corruption and truncation never crash", "[data][readers]") {
  TempDir d("fuzz");
  std::mt19937 rng(1701);
  const char* files[] = {"nmnist_small/1.bs2",
                         "ntidigits_slayer/NTIDIGITS_1.bs1",
                         "mnist_dvs_digit0/mnist_0_scale04_0003.aedat",
                         "tonic_samples/sample_aedat_header.aedat",
                         "tonic_samples/sample.aedat4",
                         "tonic_samples/sample_ncars.dat",
                         "prophesee_samples/evt3_pedestrians_small.raw"};
  int errors = 0, clean = 0;
  for (const char* f : files) {
    const std::vector<char> orig = slurp(dataset_path(f));
    ReadOptions opt;
    opt.format = detect_format(dataset_path(f));
    for (int trial = 0; trial < 25; ++trial) {
      std::vector<char> b = orig;
      // Corrupt a few bytes, biased towards the first 4 KiB (headers, packet headers).
      const int k = 1 + int(rng() % 8);
      for (int i = 0; i < k; ++i) {
        const size_t range = (rng() % 2) ? std::min<size_t>(b.size(), 4096) : b.size();
        if (range) b[rng() % range] = char(rng());
      }
      if (trial % 3 == 0 && !b.empty()) b.resize(rng() % b.size());
      const std::string path = d.file(std::to_string(trial) + ".fuzz");
      spit(path, b);
      try {
        Events ev = read_events(path, opt);
        // Whatever came out respects the sensor size.
        for (size_t i = 0; i < ev.size(); ++i)
          REQUIRE((ev.x[i] < ev.width && ev.y[i] < ev.height));
        ++clean;
      } catch (const soma::Error&) {
        ++errors;
      }
    }
  }
  CHECK(errors > 0);
  CHECK(clean + errors == 7 * 25);
}
