#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <set>
#include <vector>

#include "soma/core/error.hpp"
#include "soma/data/loader.hpp"

using namespace soma;

namespace {

// Sample i, shape [T = 3, 3]: step t = (100 i + 10 t, 100 i + 10 t + 1, u) with u drawn from the
// sample's Rng (the same u at every step); label i % 3. Throws on `bad` if set.
class ToyDataset : public Dataset {
 public:
  explicit ToyDataset(int64_t n, int64_t bad = -1) : n_(n), bad_(bad) {}
  int64_t size() const override { return n_; }
  Shape sample_shape() const override { return Shape{3, 3}; }
  int num_classes() const override { return 3; }
  int label(int64_t i) const override { return static_cast<int>(i % 3); }
  void get(int64_t i, float* out, Rng& rng) const override {
    SOMA_CHECK_AS(IoError, i != bad_, "toy sample ", i, " is corrupt");
    const float u = rng.uniform();
    for (int t = 0; t < 3; ++t) {
      out[t * 3 + 0] = float(100 * i + 10 * t);
      out[t * 3 + 1] = float(100 * i + 10 * t + 1);
      out[t * 3 + 2] = u;
    }
  }

 private:
  int64_t n_, bad_;
};

struct Seen {
  std::vector<int64_t> ids;  // sample ids, batch by batch
  std::vector<float> u;      // their random values
  std::vector<int64_t> batch_index;
};

// Runs one epoch (from `first`) and checks the layout of every batch.
Seen run_epoch(Loader& L, int64_t epoch, int64_t first = 0) {
  Seen s;
  L.start_epoch(epoch, first);
  Batch b;
  while (L.next(b)) {
    const int64_t n = b.x.dim(1);
    REQUIRE(b.x.shape() == Shape{3, n, 3});
    REQUIRE(static_cast<int64_t>(b.y.size()) == n);
    s.batch_index.push_back(b.index);
    for (int64_t k = 0; k < n; ++k) {
      const auto id = static_cast<int64_t>(b.x[(0 * n + k) * 3] / 100);
      for (int t = 0; t < 3; ++t) {
        REQUIRE(b.x[(t * n + k) * 3 + 0] == float(100 * id + 10 * t));
        REQUIRE(b.x[(t * n + k) * 3 + 1] == float(100 * id + 10 * t + 1));
        REQUIRE(b.x[(t * n + k) * 3 + 2] == b.x[(0 * n + k) * 3 + 2]);
      }
      REQUIRE(b.y[static_cast<size_t>(k)] == id % 3);
      s.ids.push_back(id);
      s.u.push_back(b.x[k * 3 + 2]);
    }
  }
  return s;
}

LoaderOptions opts(int64_t B, uint64_t seed = 7) {
  LoaderOptions o;
  o.batch_size = B;
  o.seed = seed;
  return o;
}

}  // namespace

TEST_CASE("Loader: time-major layout, every sample once per epoch", "[data][loader]") {
  auto ds = std::make_shared<ToyDataset>(53);
  Loader L(ds, opts(8));
  CHECK(L.batches_per_epoch() == 7);
  const Seen s = run_epoch(L, 0);
  CHECK(s.batch_index == std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6});
  std::vector<int64_t> sorted = s.ids;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 53; ++i) CHECK(sorted[static_cast<size_t>(i)] == i);
  // Shuffled: not the identity.
  CHECK(s.ids != sorted);

  auto o = opts(8);
  o.drop_last = true;
  Loader D(ds, o);
  CHECK(D.batches_per_epoch() == 6);
  const Seen d = run_epoch(D, 0);
  CHECK(d.ids.size() == 48);
  CHECK(std::set<int64_t>(d.ids.begin(), d.ids.end()).size() == 48);
}

TEST_CASE("Loader: order is a function of (seed, epoch), sample randomness of (seed, epoch, i)",
          "[data][loader]") {
  auto ds = std::make_shared<ToyDataset>(40);
  Loader A(ds, opts(6, 1)), B(ds, opts(6, 1)), C(ds, opts(6, 2));
  const Seen a0 = run_epoch(A, 0), b0 = run_epoch(B, 0), c0 = run_epoch(C, 0);
  CHECK(a0.ids == b0.ids);
  CHECK(a0.u == b0.u);
  CHECK(a0.ids != c0.ids);
  const Seen a1 = run_epoch(A, 1);
  CHECK(a1.ids != a0.ids);

  // Without shuffling, the same sample gets the same random value in the same epoch.
  auto o = opts(6, 1);
  o.shuffle = false;
  o.prefetch = 0;
  o.threads = 2;
  Loader N(ds, o);
  const Seen n1 = run_epoch(N, 1);
  for (int64_t i = 0; i < 40; ++i) CHECK(n1.ids[static_cast<size_t>(i)] == i);
  for (size_t k = 0; k < a1.ids.size(); ++k)
    CHECK(a1.u[k] == n1.u[static_cast<size_t>(a1.ids[k])]);
}

TEST_CASE("Loader: resuming at (epoch, batch) gives the remaining batches", "[data][loader]") {
  auto ds = std::make_shared<ToyDataset>(50);
  Loader full(ds, opts(8)), resumed(ds, opts(8));
  const Seen f = run_epoch(full, 3);
  const Seen r = run_epoch(resumed, 3, 4);
  CHECK(r.batch_index == std::vector<int64_t>{4, 5, 6});
  CHECK(std::vector<int64_t>(f.ids.begin() + 32, f.ids.end()) == r.ids);
  CHECK(std::vector<float>(f.u.begin() + 32, f.u.end()) == r.u);
  // Starting at the end is an empty epoch; past it is an error.
  CHECK(run_epoch(resumed, 3, 7).ids.empty());
  CHECK_THROWS_AS(resumed.start_epoch(3, 8), Error);
}

TEST_CASE("Loader: two ranks split every global batch exactly", "[data][loader]") {
  auto ds = std::make_shared<ToyDataset>(45);  // 5 full batches of 8 and one of 5
  Loader single(ds, opts(8));
  auto o0 = opts(8), o1 = opts(8);
  o0.world = o1.world = 2;
  o1.rank = 1;
  Loader r0(ds, o0), r1(ds, o1);
  const Seen s = run_epoch(single, 2), a = run_epoch(r0, 2), b = run_epoch(r1, 2);
  REQUIRE(a.batch_index.size() == 6);
  REQUIRE(b.batch_index.size() == 6);
  // Rebuild each global batch from the two halves.
  std::vector<int64_t> joined;
  size_t ia = 0, ib = 0;
  for (int64_t g = 0; g < 6; ++g) {
    const size_t rows = g < 5 ? 8 : 5;
    const size_t na = g < 5 ? 4 : 2;  // rank 0 takes [0, rows/2), rank 1 the rest
    joined.insert(joined.end(), a.ids.begin() + ia, a.ids.begin() + ia + na);
    joined.insert(joined.end(), b.ids.begin() + ib, b.ids.begin() + ib + (rows - na));
    ia += na;
    ib += rows - na;
  }
  CHECK(ia == a.ids.size());
  CHECK(ib == b.ids.size());
  CHECK(joined == s.ids);

  auto bad = opts(7);
  bad.world = 2;
  CHECK_THROWS_WITH(Loader(ds, bad), Catch::Contains("divisible"));
}

TEST_CASE("Loader: exceptions while loading reach next()", "[data][loader]") {
  auto ds = std::make_shared<ToyDataset>(30, 17);
  for (int prefetch : {0, 1, 3}) {
    auto o = opts(4);
    o.shuffle = false;
    o.prefetch = prefetch;
    Loader L(ds, o);
    L.start_epoch(0);
    Batch b;
    int good = 0;
    try {
      while (L.next(b)) ++good;
      FAIL("expected an IoError");
    } catch (const IoError& e) {
      CHECK_THAT(std::string(e.what()), Catch::Contains("toy sample 17"));
    }
    CHECK(good == 4);  // batches 0..3 hold samples 0..15; batch 4 holds 17
    CHECK_THROWS_AS(L.next(b), Error);
    // A fresh epoch starting past the bad sample works.
    L.start_epoch(1, 5);
    CHECK(L.next(b));
    CHECK(b.index == 5);
  }
}

TEST_CASE("Loader: prefetching and threads do not change the batches", "[data][loader]") {
  auto ds = std::make_shared<ToyDataset>(37);
  auto o = opts(5);
  o.prefetch = 0;
  Loader sync(ds, o);
  o.prefetch = 4;
  o.threads = 2;
  Loader async(ds, o);
  const Seen a = run_epoch(sync, 1), b = run_epoch(async, 1);
  CHECK(a.ids == b.ids);
  CHECK(a.u == b.u);
  // Abandoning an epoch mid-way and destroying the loader must not hang.
  {
    Loader L(ds, o);
    L.start_epoch(0);
    Batch x;
    CHECK(L.next(x));
  }
}
