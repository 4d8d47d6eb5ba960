#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "soma/core/rng.hpp"

using soma::Rng;

TEST_CASE("Rng is deterministic per (seed, stream) and streams differ", "[core]") {
  Rng a(42), b(42), c(42, 1), d(43);
  for (int i = 0; i < 100; ++i) {
    const uint64_t x = a.next_u64();
    REQUIRE(x == b.next_u64());
    CHECK(x != c.next_u64());
    CHECK(x != d.next_u64());
  }
}

TEST_CASE("Rng state round-trips exactly", "[core]") {
  Rng a(7);
  for (int i = 0; i < 10; ++i) a.next_u64();
  const Rng::State s = a.state();
  std::vector<float> first;
  for (int i = 0; i < 20; ++i) first.push_back(a.uniform());
  Rng b(0);
  b.set_state(s);
  for (int i = 0; i < 20; ++i) REQUIRE(b.uniform() == first[i]);
}

TEST_CASE("Rng uniform, normal and below have the right moments", "[core]") {
  Rng r(1701);
  const int n = 200000;
  double su = 0, sn = 0, sn2 = 0;
  std::vector<int> hist(7, 0);
  for (int i = 0; i < n; ++i) {
    const float u = r.uniform();
    REQUIRE(u >= 0.f);
    REQUIRE(u < 1.f);
    su += u;
    const double z = r.normal();
    sn += z;
    sn2 += z * z;
    hist[r.below(7)]++;
  }
  // 5-sigma bounds: mean of U(0,1) has sd 0.289/sqrt(n); normal mean sd 1/sqrt(n).
  CHECK(std::fabs(su / n - 0.5) < 5 * 0.289 / std::sqrt(n));
  CHECK(std::fabs(sn / n) < 5 / std::sqrt(n));
  CHECK(std::fabs(sn2 / n - 1.0) < 5 * std::sqrt(2.0 / n));
  for (int k = 0; k < 7; ++k) CHECK(std::fabs(hist[k] - n / 7.0) < 5 * std::sqrt(n / 7.0));
}
