// Voxel grids and time surfaces: exact values on hand-made events, invariants on a real file.
#include <catch2/catch.hpp>

#include <cmath>
#include <numeric>

#include "soma/core/config_node.hpp"
#include "soma/core/error.hpp"
#include "soma/data/frames.hpp"
#include "soma/data/readers/event_reader.hpp"

using namespace soma;

namespace {

Events line_events(std::initializer_list<std::array<int64_t, 3>> txp) {  // (t, x, p) on 2x1
  Events ev;
  ev.width = 2;
  ev.height = 1;
  for (const auto& e : txp) ev.push_back(e[0], static_cast<uint16_t>(e[1]), 0, static_cast<int8_t>(e[2]));
  return ev;
}

FrameOptions opts(const std::string& yaml) { return parse_frame_options(ConfigNode::parse(yaml, "t")); }

std::vector<float> run(const Events& ev, const FrameOptions& o, int64_t T) {
  const Tensor t = events_to_frames(ev, o, T);
  return std::vector<float>(t.data(), t.data() + t.numel());
}

}  // namespace

TEST_CASE("voxel grid: bilinear weights, signed polarity (merge)", "[frames][voxel]") {
  const Events ev = line_events({{0, 0, 1}, {50, 1, 0}, {100, 0, 1}});
  // B = 3: t* = 0, 1, 2 -> one bin each.
  CHECK(run(ev, opts("{mode: voxel, polarity: merge}"), 3) ==
        std::vector<float>{1, 0, 0, -1, 1, 0});
  // B = 2: t* = 0, 0.5, 1 -> the middle OFF event splits -0.5 / -0.5.
  CHECK(run(ev, opts("{mode: voxel, polarity: merge}"), 2) == std::vector<float>{1, -0.5f, 1, -0.5f});
  // B = 4 with t = 0, 50, 100: t* = 0, 1.5, 3.
  CHECK(run(ev, opts("{mode: voxel, polarity: merge}"), 4) ==
        std::vector<float>{1, 0, 0, -0.5f, 0, -0.5f, 1, 0});
  // Separate polarities: channel p, weight +1; layout [T, P=2, 1, 2].
  CHECK(run(ev, opts("{mode: voxel}"), 2) == std::vector<float>{0, 0.5f, 1, 0, 0, 0.5f, 1, 0});
}

TEST_CASE("voxel grid: every event contributes exactly 1 (real N-MNIST file)", "[frames][voxel]") {
  const Events ev = read_events(std::string(SOMA_SOURCE_DIR) + "/datasets/nmnist_small/1.bs2");
  const auto v = run(ev, opts("{mode: voxel}"), 5);
  CHECK(std::accumulate(v.begin(), v.end(), 0.0) == Approx(4681.0).epsilon(1e-9));
  for (float f : v) CHECK(f >= 0.0f);
  // Merged (signed) total = ON - OFF = 2328 - 2353.
  const auto m = run(ev, opts("{mode: voxel, polarity: merge}"), 5);
  CHECK(std::accumulate(m.begin(), m.end(), 0.0) == Approx(-25.0).margin(1e-3));
  CHECK_THROWS_AS(opts("{mode: voxel, split_by: number}"), ConfigError);
  CHECK_THROWS_AS(opts("{mode: voxel, window_us: 1000}"), ConfigError);
}

TEST_CASE("time surface: decayed last timestamps at frame ends", "[frames][surface]") {
  const Events ev = line_events({{0, 0, 1}, {100, 1, 1}, {200, 0, 1}});
  const float e1 = std::exp(-1.0f), e05 = std::exp(-0.5f), e15 = std::exp(-1.5f);
  // split_by time, T = 2: dT = 100; frame 0 sees event 0 at tau_0 = 100; frame 1 all, tau = 200.
  auto s = run(ev, opts("{mode: time_surface, tau_us: 100, polarity: merge}"), 2);
  REQUIRE(s.size() == 4);
  CHECK(s[0] == Approx(e1));
  CHECK(s[1] == 0.0f);
  CHECK(s[2] == Approx(1.0f));
  CHECK(s[3] == Approx(e1));
  // split_by number, T = 3: one event per frame, tau_j = its time.
  s = run(ev, opts("{mode: time_surface, tau_us: 100, polarity: merge, split_by: number}"), 3);
  CHECK(s[0] == Approx(1.0f));
  CHECK(s[1] == 0.0f);
  CHECK(s[2] == Approx(e1));
  CHECK(s[3] == Approx(1.0f));
  CHECK(s[4] == Approx(1.0f));
  CHECK(s[5] == Approx(e1));
  // windows of 150 µs with stride 100: tau = 150, 250.
  s = run(ev, opts("{mode: time_surface, tau_us: 100, polarity: merge, window_us: 150, overlap_us: 50}"), 2);
  CHECK(s[0] == Approx(e15));
  CHECK(s[1] == Approx(e05));
  CHECK(s[2] == Approx(e05));
  CHECK(s[3] == Approx(e15));
  // Separate polarities: the OFF channel stays 0 (all events are ON).
  s = run(ev, opts("{mode: time_surface, tau_us: 100}"), 2);
  CHECK(s[0] == 0.0f);
  CHECK(s[1] == 0.0f);
  CHECK(s[2] == Approx(e1));
  CHECK_THROWS_AS(opts("{mode: count, tau_us: 10}"), ConfigError);
  CHECK_THROWS_AS(opts("{mode: time_surface, tau_us: 0}"), ConfigError);
}

TEST_CASE("time surface: values in [0, 1], last frame has a 1 (real file)", "[frames][surface]") {
  const Events ev = read_events(std::string(SOMA_SOURCE_DIR) + "/datasets/nmnist_small/1.bs2");
  const auto s = run(ev, opts("{mode: time_surface, tau_us: 20000}"), 4);
  float mx = 0.0f;
  for (float f : s) {
    CHECK(f >= 0.0f);
    CHECK(f <= 1.0f);
    mx = std::max(mx, f);
  }
  CHECK(mx == 1.0f);  // the last event sits exactly at the last frame's sampling time
}
