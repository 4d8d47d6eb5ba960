#include <catch2/catch.hpp>

#include <cstdint>
#include <thread>
#include <vector>

#include "soma/tensor/allocator.hpp"
#include "soma/tensor/tensor.hpp"

using soma::allocator_stats;
using soma::Shape;
using soma::Tensor;

TEST_CASE("Caching allocator reuses freed blocks", "[tensor][allocator]") {
  for (const int64_t n : {int64_t(100), int64_t(300000), int64_t(3000000)}) {  // small, mmap, huge
    float* first = nullptr;
    {
      Tensor t = Tensor::empty(Shape{n});
      first = t.data();
      CHECK(reinterpret_cast<uintptr_t>(first) % 64 == 0);
      t[n - 1] = 1.f;  // the whole block is writable
    }
    const auto before = allocator_stats();
    {
      Tensor t = Tensor::empty(Shape{n});
      CHECK(t.data() == first);  // the block that was just freed
      Tensor v = t.reshape(Shape{1, n});
      t = Tensor();
      CHECK(allocator_stats().live_bytes >= n * 4);  // the view keeps it alive
    }
    const auto after = allocator_stats();
    CHECK(after.hits == before.hits + 1);
    CHECK(after.misses == before.misses);
    CHECK(after.live_bytes == before.live_bytes);
  }
}

TEST_CASE("Caching allocator best fit stays within 1/8 of the request", "[tensor][allocator]") {
  float* big = nullptr;
  {
    Tensor t = Tensor::empty(Shape{200000});
    big = t.data();
  }
  Tensor small = Tensor::empty(Shape{100000});  // half the size: must not take the big block
  CHECK(small.data() != big);
  Tensor close = Tensor::empty(Shape{190000});  // within 1/8: reuses it
  CHECK(close.data() == big);
}

TEST_CASE("Caching allocator is thread-safe", "[tensor][allocator]") {
  const auto before = allocator_stats();
  auto work = [](int seed) {
    for (int it = 0; it < 300; ++it) {
      const int64_t n = 1000 + (seed * 7919 + it * 104729) % 70000;
      Tensor t = Tensor::full(Shape{n}, float(seed));
      Tensor u = Tensor::empty(Shape{n / 2 + 1});
      u.fill(-1.f);
      for (int64_t i = 0; i < n; i += 997) REQUIRE(t[i] == float(seed));
    }
  };
  std::vector<std::thread> threads;
  for (int s = 0; s < 4; ++s) threads.emplace_back(work, s + 1);
  for (auto& th : threads) th.join();
  const auto after = allocator_stats();
  CHECK(after.live_bytes == before.live_bytes);
  CHECK(after.hits + after.misses - before.hits - before.misses == 4 * 300 * 2);
  CHECK(after.system_bytes == after.live_bytes + after.cached_bytes);
}

TEST_CASE("Caching allocator respects its cache limit and releases", "[tensor][allocator]") {
  soma::allocator_release_cached();
  CHECK(allocator_stats().cached_bytes == 0);
  const int64_t peak = allocator_stats().peak_live_bytes;
  soma::allocator_set_cache_limit(0);  // the cache keeps at most the peak live bytes
  {
    std::vector<Tensor> ts;
    for (int i = 0; i < 8; ++i) ts.push_back(Tensor::empty(Shape{int64_t(1) << 18}));
  }
  const auto s = allocator_stats();
  CHECK(s.cached_bytes <= std::max(peak, s.peak_live_bytes));
  soma::allocator_set_cache_limit(int64_t(256) << 20);
  soma::allocator_release_cached();
  CHECK(allocator_stats().cached_bytes == 0);
  soma::ScratchBuffer b(1000);
  CHECK(reinterpret_cast<uintptr_t>(b.data()) % 64 == 0);
}
