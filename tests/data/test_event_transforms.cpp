// Event transforms: exact results on hand-made events, statistics with stated bounds and
// determinism per seed on a real N-MNIST recording.
#include <catch2/catch.hpp>

#include <cmath>

#include "soma/core/config_node.hpp"
#include "soma/core/error.hpp"
#include "soma/data/event_transforms.hpp"
#include "soma/data/readers/event_reader.hpp"

using namespace soma;

namespace {

Events nmnist1() {
  Events ev = read_events(std::string(SOMA_SOURCE_DIR) + "/datasets/nmnist_small/1.bs2");
  ev.width = ev.height = 34;
  return ev;
}

bool same(const Events& a, const Events& b) {
  return a.t == b.t && a.x == b.x && a.y == b.y && a.p == b.p && a.width == b.width &&
         a.height == b.height;
}

}  // namespace

TEST_CASE("transforms: flip_x mirrors x exactly", "[transforms]") {
  const Events ev = nmnist1();
  Events f = ev;
  flip_x(f);
  for (size_t i = 0; i < ev.size(); ++i) REQUIRE(f.x[i] == 33 - ev.x[i]);
  CHECK(f.t == ev.t);
  flip_x(f);
  CHECK(same(f, ev));
}

TEST_CASE("transforms: drop_event keeps 1 - p of the events", "[transforms]") {
  const Events ev = nmnist1();  // 4681 events
  Events a = ev, b = ev, c = ev;
  Rng r1(7, 1), r2(7, 1), r3(8, 1);
  drop_events(a, 0.3, r1);
  drop_events(b, 0.3, r2);
  drop_events(c, 0.3, r3);
  CHECK(same(a, b));      // same seed, same result
  CHECK_FALSE(same(a, c));
  // Binomial(4681, 0.7): sd = sqrt(n p (1-p)) = 31.4; 5 sd = 157 around 3276.7.
  CHECK(std::abs(static_cast<double>(a.size()) - 0.7 * 4681) < 157);
  CHECK(std::is_sorted(a.t.begin(), a.t.end()));
}

TEST_CASE("transforms: crops", "[transforms]") {
  const Events ev = nmnist1();
  Events c = ev;
  center_crop(c, 20, 24);  // ox = 5, oy = 7
  CHECK(c.width == 24);
  CHECK(c.height == 20);
  size_t inside = 0;
  for (size_t i = 0; i < ev.size(); ++i)
    inside += ev.x[i] >= 5 && ev.x[i] < 29 && ev.y[i] >= 7 && ev.y[i] < 27;
  CHECK(c.size() == inside);
  Events r = ev, r2 = ev;
  Rng a(3), b(3);
  random_crop(r, 20, 24, a);
  random_crop(r2, 20, 24, b);
  CHECK(same(r, r2));
  for (size_t i = 0; i < r.size(); ++i) REQUIRE((r.x[i] < 24 && r.y[i] < 20));
  Events big = ev;
  CHECK_THROWS_AS(center_crop(big, 40, 10), ShapeError);
}

TEST_CASE("transforms: jitter", "[transforms]") {
  const Events ev = nmnist1();
  Events s = ev;
  Rng r(11);
  spatial_jitter(s, 1.0, r);
  CHECK(s.size() <= ev.size());
  CHECK(s.size() > ev.size() * 9 / 10);  // few events sit on the border of N-MNIST
  for (size_t i = 0; i < s.size(); ++i) REQUIRE((s.x[i] < 34 && s.y[i] < 34));
  Events t = ev;
  Rng r2(12);
  time_jitter(t, 1000.0, r2);
  CHECK(t.size() == ev.size());
  CHECK(std::is_sorted(t.t.begin(), t.t.end()));
  double d = 0;
  for (size_t i = 0; i < ev.size(); ++i) d += static_cast<double>(t.t[i] - ev.t[i]);
  // Sum of the shifts is unchanged by sorting: mean shift ~ N(0, 1000 / sqrt(n)); 5 sd = 73 µs.
  CHECK(std::abs(d / static_cast<double>(ev.size())) < 73.0);
}

TEST_CASE("transforms: EventDrop by time and by area", "[transforms]") {
  const Events ev = nmnist1();
  for (uint64_t seed = 0; seed < 20; ++seed) {
    Events a = ev;
    Rng r(seed);
    drop_time(a, 0.5, r);
    // The dropped events are one contiguous run of the time-sorted stream, <= 50% of the span.
    size_t lo = 0;
    while (lo < a.size() && a.t[lo] == ev.t[lo]) ++lo;
    const size_t dropped = ev.size() - a.size();
    for (size_t i = lo; i < a.size(); ++i) REQUIRE(a.t[i] == ev.t[i + dropped]);
    if (dropped) CHECK(ev.t[lo + dropped - 1] - ev.t[lo] <= (ev.t.back() - ev.t.front()) / 2);
    Events b = ev;
    Rng r2(seed);
    drop_area(b, 0.5, r2);
    // The dropped events fit in a box of floor(0.5 * 34) = 17 pixels per side.
    int64_t x0 = 99, x1 = -1, y0 = 99, y1 = -1;
    size_t k = 0;
    for (size_t i = 0; i < ev.size(); ++i) {
      if (k < b.size() && b.t[k] == ev.t[i] && b.x[k] == ev.x[i] && b.y[k] == ev.y[i]) {
        ++k;
        continue;
      }
      x0 = std::min<int64_t>(x0, ev.x[i]);
      x1 = std::max<int64_t>(x1, ev.x[i]);
      y0 = std::min<int64_t>(y0, ev.y[i]);
      y1 = std::max<int64_t>(y1, ev.y[i]);
    }
    CHECK(k == b.size());
    if (x1 >= 0) {
      CHECK(x1 - x0 < 17);
      CHECK(y1 - y0 < 17);
    }
  }
}

TEST_CASE("transforms: denoise and refractory filters", "[transforms]") {
  Events ev;
  ev.width = ev.height = 32;
  ev.push_back(0, 5, 5, 1);       // no earlier neighbour: dropped
  ev.push_back(10, 6, 5, 0);      // neighbour (5,5) fired 10 µs ago: kept
  ev.push_back(20000, 20, 20, 1); // isolated: dropped
  ev.push_back(20500, 20, 20, 1); // same pixel only (not a neighbour): dropped
  Events d = ev;
  denoise(d, 1000);
  REQUIRE(d.size() == 1);
  CHECK(d.t[0] == 10);

  Events r;
  r.width = r.height = 4;
  for (int64_t t : {0, 500, 1200, 1500, 2200}) r.push_back(t, 1, 1, 1);
  r.push_back(600, 2, 1, 1);  // another pixel: unaffected
  // keep 0, drop 500 (< 1000 after 0), keep 1200, drop 1500, keep 2200 (>= 1000 after 1200)
  Events rr = r;
  refractory(rr, 1000);
  CHECK(rr.t == std::vector<int64_t>{0, 1200, 2200, 600});

  // On a real recording the denoiser removes a bounded share of events.
  Events n = nmnist1();
  denoise(n, 5000);
  CHECK(n.size() < 4681);
  CHECK(n.size() > 4681 / 2);
}

TEST_CASE("transforms: YAML parsing and the pipeline", "[transforms]") {
  auto list = ConfigNode::parse(
      "[{type: random_crop, size: [30, 30]}, {type: flip_x, p: 1.0}, {type: drop_event, p: 0.2}]", "t");
  const EventTransforms tr = EventTransforms::parse(list, false);
  int64_t w = 34, h = 34;
  tr.output_size(w, h);
  CHECK(w == 30);
  CHECK(h == 30);
  const Events ev = nmnist1();
  Events a = ev, b = ev, e = ev;
  Rng r1(5), r2(5), r3(5);
  tr.apply(a, r1, true);
  tr.apply(b, r2, true);
  CHECK(same(a, b));
  tr.apply(e, r3, false);  // evaluation: centre crop only
  Events c = ev;
  center_crop(c, 30, 30);
  CHECK(same(e, c));
  CHECK_THROWS_AS(EventTransforms::parse(ConfigNode::parse("[{type: flip_x}]", "t"), true), ConfigError);
  CHECK_THROWS_AS(EventTransforms::parse(ConfigNode::parse("[{type: blur}]", "t"), false), ConfigError);
  CHECK_THROWS_AS(EventTransforms::parse(ConfigNode::parse("[{type: drop_event, p: 2}]", "t"), false),
                  ConfigError);
}
