#include <catch2/catch.hpp>

#include <algorithm>
#include <tuple>
#include <vector>

#include "soma/core/config_node.hpp"
#include "soma/data/frames.hpp"

using namespace soma;

namespace {

// Eight events on a 4x4 sensor; rel = t - 100 is 0, 10, 30, 50, 60, 90, 100, 120.
Events sample_events() {
  Events ev;
  ev.width = 4;
  ev.height = 4;
  ev.push_back(100, 0, 0, 1);  // e0
  ev.push_back(110, 1, 0, 0);  // e1
  ev.push_back(130, 1, 0, 0);  // e2
  ev.push_back(150, 3, 2, 1);  // e3
  ev.push_back(160, 3, 3, 1);  // e4
  ev.push_back(190, 0, 0, 1);  // e5
  ev.push_back(200, 2, 1, 0);  // e6
  ev.push_back(220, 0, 0, 1);  // e7
  return ev;
}

using Entry = std::tuple<int, int, int, int, float>;  // frame, channel, y, x, value

// The non-zero entries of a [T, P, H, W] frame tensor, in row-major order.
std::vector<Entry> nonzeros(const Tensor& f) {
  std::vector<Entry> out;
  const int64_t T = f.dim(0), P = f.dim(1), H = f.dim(2), W = f.dim(3);
  for (int64_t j = 0; j < T; ++j)
    for (int64_t c = 0; c < P; ++c)
      for (int64_t y = 0; y < H; ++y)
        for (int64_t x = 0; x < W; ++x) {
          const float v = f[((j * P + c) * H + y) * W + x];
          if (v != 0.f) out.emplace_back(int(j), int(c), int(y), int(x), v);
        }
  return out;
}

FrameOptions parse(const std::string& yaml) {
  return parse_frame_options(ConfigNode::parse(yaml, "f.yaml"));
}

}  // namespace

TEST_CASE("frames split_by number: floor(N/T) events per frame, the last takes the rest",
          "[data][frames]") {
  FrameOptions o;
  o.split_by = FrameOptions::SplitBy::kNumber;
  const Tensor f = events_to_frames(sample_events(), o, 3);
  CHECK(f.shape() == Shape{3, 2, 4, 4});
  // k = 8 / 3 = 2: frame 0 = e0 e1, frame 1 = e2 e3, frame 2 = e4 .. e7.
  const std::vector<Entry> expected{{0, 0, 0, 1, 1.f}, {0, 1, 0, 0, 1.f}, {1, 0, 0, 1, 1.f},
                                    {1, 1, 2, 3, 1.f}, {2, 0, 1, 2, 1.f}, {2, 1, 0, 0, 2.f},
                                    {2, 1, 3, 3, 1.f}};
  CHECK(nonzeros(f) == expected);
}

TEST_CASE("frames split_by number with fewer events than frames puts all in the last",
          "[data][frames]") {
  FrameOptions o;
  o.split_by = FrameOptions::SplitBy::kNumber;
  const Tensor f = events_to_frames(sample_events(), o, 10);
  for (const auto& e : nonzeros(f)) CHECK(std::get<0>(e) == 9);
  double sum = 0;
  for (int64_t k = 0; k < f.numel(); ++k) sum += f[k];
  CHECK(sum == 8.0);
}

TEST_CASE("frames split_by time: dT = floor(span / T), half-open, last takes the rest",
          "[data][frames]") {
  const FrameOptions o = parse("split_by: time\n");
  const Tensor f = events_to_frames(sample_events(), o, 3);
  // dT = 120 / 3 = 40: [0,40) e0 e1 e2 | [40,80) e3 e4 | [80, inf) e5 e6 e7.
  const std::vector<Entry> expected{{0, 0, 0, 1, 2.f}, {0, 1, 0, 0, 1.f}, {1, 1, 2, 3, 1.f},
                                    {1, 1, 3, 3, 1.f}, {2, 0, 1, 2, 1.f}, {2, 1, 0, 0, 2.f}};
  CHECK(nonzeros(f) == expected);
}

TEST_CASE("frames with fixed windows and overlap", "[data][frames]") {
  SECTION("window 50, overlap 20: windows [0,50) [30,80) [60,110), later events dropped") {
    const FrameOptions o = parse("window_us: 50\noverlap_us: 20\n");
    CHECK(o.split_by == FrameOptions::SplitBy::kWindow);
    const Tensor f = events_to_frames(sample_events(), o, 3);
    const std::vector<Entry> expected{{0, 0, 0, 1, 2.f}, {0, 1, 0, 0, 1.f}, {1, 0, 0, 1, 1.f},
                                      {1, 1, 2, 3, 1.f}, {1, 1, 3, 3, 1.f}, {2, 0, 1, 2, 1.f},
                                      {2, 1, 0, 0, 1.f}, {2, 1, 3, 3, 1.f}};
    CHECK(nonzeros(f) == expected);
  }
  SECTION("window 40, no overlap: [0,40) [40,80); e5..e7 fall after T = 2 windows") {
    const FrameOptions o = parse("split_by: window\nwindow_us: 40\n");
    const Tensor f = events_to_frames(sample_events(), o, 2);
    const std::vector<Entry> expected{{0, 0, 0, 1, 2.f}, {0, 1, 0, 0, 1.f}, {1, 1, 2, 3, 1.f},
                                      {1, 1, 3, 3, 1.f}};
    CHECK(nonzeros(f) == expected);
  }
}

TEST_CASE("frames mode count / binary / clip", "[data][frames]") {
  // One frame holding everything: (p1,0,0) x3, (p0,0,1) x2, three singles.
  auto run = [](const std::string& yaml) {
    return nonzeros(events_to_frames(sample_events(), parse("split_by: number\n" + yaml), 1));
  };
  CHECK(run("mode: count\n") == std::vector<Entry>{{0, 0, 0, 1, 2.f}, {0, 0, 1, 2, 1.f},
                                                  {0, 1, 0, 0, 3.f}, {0, 1, 2, 3, 1.f},
                                                  {0, 1, 3, 3, 1.f}});
  CHECK(run("mode: binary\n") == std::vector<Entry>{{0, 0, 0, 1, 1.f}, {0, 0, 1, 2, 1.f},
                                                   {0, 1, 0, 0, 1.f}, {0, 1, 2, 3, 1.f},
                                                   {0, 1, 3, 3, 1.f}});
  CHECK(run("mode: clip\nclip: 2\n") == std::vector<Entry>{{0, 0, 0, 1, 2.f}, {0, 0, 1, 2, 1.f},
                                                          {0, 1, 0, 0, 2.f}, {0, 1, 2, 3, 1.f},
                                                          {0, 1, 3, 3, 1.f}});
}

TEST_CASE("frames downsample, target size and merged polarity", "[data][frames]") {
  SECTION("downsample 2, merged: 4x4 -> 2x2, x' = x/2, y' = y/2") {
    const FrameOptions o = parse("split_by: number\ndownsample: 2\npolarity: merge\n");
    const Tensor f = events_to_frames(sample_events(), o, 1);
    CHECK(f.shape() == Shape{1, 1, 2, 2});
    CHECK(nonzeros(f) == std::vector<Entry>{{0, 0, 0, 0, 5.f}, {0, 0, 0, 1, 1.f}, {0, 0, 1, 1, 2.f}});
  }
  SECTION("downsample 3 rounds the size up: 4x4 -> 2x2") {
    const FrameOptions o = parse("downsample: 3\n");
    CHECK(o.frame_shape(4, 4) == Shape{2, 2, 2});
    CHECK(o.frame_shape(34, 34) == Shape{2, 12, 12});
  }
  SECTION("size [3, 2]: x' = x*2/4, y' = y*3/4") {
    const FrameOptions o = parse("split_by: number\nsize: [3, 2]\n");
    const Tensor f = events_to_frames(sample_events(), o, 1);
    CHECK(f.shape() == Shape{1, 2, 3, 2});
    CHECK(nonzeros(f) == std::vector<Entry>{{0, 0, 0, 0, 2.f}, {0, 0, 0, 1, 1.f}, {0, 1, 0, 0, 3.f},
                                            {0, 1, 1, 1, 1.f}, {0, 1, 2, 1, 1.f}});
  }
}

TEST_CASE("frames: empty input, out-of-sensor events and bad options", "[data][frames]") {
  Events empty;
  empty.width = 4;
  empty.height = 4;
  const Tensor f = events_to_frames(empty, FrameOptions{}, 2);
  CHECK(nonzeros(f).empty());

  Events bad = sample_events();
  bad.x[3] = 4;
  CHECK_THROWS_AS(events_to_frames(bad, FrameOptions{}, 2), ShapeError);

  CHECK_THROWS_WITH(parse("split_by: number\nwindow_us: 10\n"), Catch::Contains("window_us"));
  CHECK_THROWS_WITH(parse("window_us: 10\noverlap_us: 10\n"), Catch::Contains("overlap_us"));
  CHECK_THROWS_WITH(parse("size: [2, 2]\ndownsample: 2\n"), Catch::Contains("not both"));
  CHECK_THROWS_WITH(parse("mode: count\nclip: 3\n"), Catch::Contains("mode: clip"));
  CHECK_THROWS_WITH(parse("split_by: time\nmdoe: count\n"),
                    Catch::Contains("f.yaml:2") && Catch::Contains("mdoe"));
}
