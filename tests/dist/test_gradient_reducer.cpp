// GradientReducer: buckets, ordering and the 1/W scaling, against a recording communicator.
#include <catch2/catch.hpp>

#include <numeric>
#include <utility>
#include <vector>

#include "soma/dist/gradient_reducer.hpp"

using namespace soma;

namespace {

// Pretends to be rank 0 of `size` identical ranks: a sum multiplies by size. Records every
// non-blocking start as (offset into `base`, length) and every wait.
class RecordingComm final : public Communicator {
 public:
  RecordingComm(int size, const float* base) : size_(size), base_(base) {}
  int rank() const override { return 0; }
  int size() const override { return size_; }
  void allreduce_sum(float* d, int64_t n) override { scale(d, n); }
  void allreduce_sum(double* d, int64_t n) override {
    for (int64_t i = 0; i < n; ++i) d[i] *= size_;
  }
  void broadcast(float*, int64_t, int) override {}
  void broadcast(uint64_t*, int64_t, int) override {}
  void barrier() override {}
  void start_allreduce_sum(float* d, int64_t n) override {
    started.emplace_back(d - base_, n);
    pending.emplace_back(d, n);
  }
  void progress() override { ++progress_calls; }
  void wait_all() override {
    ++waits;
    for (auto [d, n] : pending) scale(d, n);
    pending.clear();
  }
  std::vector<std::pair<int64_t, int64_t>> started;
  std::vector<std::pair<float*, int64_t>> pending;
  int waits = 0, progress_calls = 0;

 private:
  void scale(float* d, int64_t n) {
    for (int64_t i = 0; i < n; ++i) d[i] *= float(size_);
  }
  int size_;
  const float* base_;
};

}  // namespace

TEST_CASE("gradient reducer buckets final suffixes and averages over ranks", "[dist]") {
  std::vector<float> g(100);
  std::iota(g.begin(), g.end(), 1.f);
  const std::vector<float> original = g;
  RecordingComm comm(4, g.data());
  GradientReducer red(comm, g.data(), 100, /*bucket_elems=*/30);
  // Layers own [0,10), [10,50), [50,90), [90,100); backward visits them last to first.
  red.begin();
  red.ready(90);  // 10 final values: below the bucket size, nothing leaves yet
  CHECK(comm.started.empty());
  red.ready(50);  // 50 final values: one bucket [50, 100)
  REQUIRE(comm.started.size() == 1);
  CHECK(comm.started[0] == std::make_pair<int64_t, int64_t>(50, 50));
  red.ready(10);  // [10, 50): 40 values, another bucket
  REQUIRE(comm.started.size() == 2);
  CHECK(comm.started[1] == std::make_pair<int64_t, int64_t>(10, 40));
  red.ready(0);  // 10 values: waits for finish()
  CHECK(comm.started.size() == 2);
  CHECK(comm.progress_calls == 4);
  red.finish();
  REQUIRE(comm.started.size() == 3);
  CHECK(comm.started[2] == std::make_pair<int64_t, int64_t>(0, 10));
  CHECK(comm.waits == 1);
  CHECK(red.buckets_started() == 3);
  // Sum over 4 identical ranks, divided by 4: the original values, exactly (powers of two).
  CHECK(g == original);
}

TEST_CASE("gradient reducer without ready() calls reduces the whole buffer once", "[dist]") {
  std::vector<float> g(10, 3.f);
  RecordingComm comm(2, g.data());
  GradientReducer red(comm, g.data(), 10, 1 << 16);
  red.begin();
  red.finish();
  REQUIRE(comm.started.size() == 1);
  CHECK(comm.started[0] == std::make_pair<int64_t, int64_t>(0, 10));
  CHECK(g == std::vector<float>(10, 3.f));
  // A second pass starts afresh.
  red.begin();
  red.ready(5);
  red.finish();
  CHECK(comm.started.size() == 2);  // [0,10) again, in one piece: 5 values < bucket
  CHECK(comm.started[1] == std::make_pair<int64_t, int64_t>(0, 10));
}

TEST_CASE("single process communicator is a no-op of size 1", "[dist]") {
  SingleProcess sp;
  float f[2] = {1.f, 2.f};
  sp.allreduce_sum(f, 2);
  sp.start_allreduce_sum(f, 2);
  sp.wait_all();
  CHECK(f[0] == 1.f);
  CHECK(f[1] == 2.f);
  CHECK(sp.size() == 1);
  CHECK(sp.is_root());
  GradientReducer red(sp, f, 2, 1);
  red.begin();
  red.ready(1);
  red.finish();
  CHECK(f[1] == 2.f);
}
