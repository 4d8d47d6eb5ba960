#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "soma/core/rng.hpp"
#include "soma/core/threads.hpp"
#include "soma/ops/linear.hpp"
#include "soma/ops/sparse_linear.hpp"

using namespace soma;

namespace {

// Spikes (binary) or sparse analog values at the given density.
std::vector<float> sparse_input(int64_t n, double density, bool binary, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> v(n);
  for (auto& x : v)
    x = rng.uniform(0.f, 1.f) < density ? (binary ? 1.f : rng.uniform(0.1f, 2.f)) : 0.f;
  return v;
}

std::vector<float> dense_values(int64_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> v(n);
  for (auto& x : v) x = rng.uniform(-1.f, 1.f);
  return v;
}

float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  float e = 0.f;
  for (size_t i = 0; i < a.size(); ++i) e = std::max(e, std::fabs(a[i] - b[i]));
  return e;
}

}  // namespace

TEST_CASE("sparse rows list exactly the nonzeros, in order", "[ops][sparse]") {
  const std::vector<float> x{0, 1, 0, 2.5f, 0, 0, 0, 0, 0, 1, 1, 1};  // 3 rows of 4
  SparseRows r = sparse_rows(x.data(), 3, 4);
  REQUIRE(r.filled);
  CHECK(r.nnz == 5);
  CHECK(r.density() == Approx(5.0 / 12.0));
  CHECK(r.start[0] == 0);
  CHECK(r.start[1] == 2);
  CHECK(r.start[2] == 2);
  CHECK(r.start[3] == 5);
  CHECK(r.index[0] == 1);
  CHECK(r.index[1] == 3);
  CHECK(r.value[1] == 2.5f);
  CHECK(r.index[2] == 1);
  CHECK(r.index[4] == 3);
  CHECK(nonzero_density(x.data(), 12) == Approx(5.0 / 12.0));
  SparseRows skipped = sparse_rows(x.data(), 3, 4, 0.25);
  CHECK_FALSE(skipped.filled);
  CHECK(skipped.nnz == 5);
}

TEST_CASE("chunked CSR and its transpose list the nonzeros by chunk", "[ops][sparse]") {
  // 3 rows of 5, chunks of 2 columns: {0,1} {2,3} {4}.
  const std::vector<float> x{0, 1, 0, 2.5f, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 3};
  SparseRows r = sparse_rows(x.data(), 3, 5, 1.0, 2);
  REQUIRE(r.filled);
  CHECK_FALSE(r.binary);
  CHECK(r.chunks == 3);
  CHECK(r.nnz == 6);
  CHECK(r.end(0, 0) - r.begin(0, 0) == 1);  // row 0, columns 0-1: x[0,1]
  CHECK(r.index[r.begin(0, 0)] == 1);
  CHECK(r.begin(0, 1) == r.end(0, 1));  // row 1 is empty
  CHECK(r.end(0, 2) - r.begin(0, 2) == 2);
  CHECK(r.index[r.begin(1, 0)] == 3);
  CHECK(r.value[r.begin(1, 0)] == 2.5f);
  CHECK(r.index[r.begin(2, 2)] == 4);
  CHECK(r.value[r.begin(2, 2)] == 3.f);
  // x^T [5, 3] in chunks of 2 rows of x: column 4 holds rows 0 (chunk 0) and 2 (chunk 1).
  SparseRows t = transpose(r, 2);
  CHECK(t.rows == 5);
  CHECK(t.cols == 3);
  CHECK(t.chunks == 2);
  CHECK(t.end(0, 4) - t.begin(0, 4) == 1);
  CHECK(t.index[t.begin(0, 4)] == 0);
  CHECK(t.value[t.begin(0, 4)] == 1.f);
  CHECK(t.index[t.begin(1, 4)] == 2);
  CHECK(t.value[t.begin(1, 4)] == 3.f);
  CHECK(t.begin(0, 2) == t.end(0, 2));  // column 2 is all zeros
  CHECK(t.begin(1, 2) == t.end(1, 2));
  const std::vector<float> spikes{0, 1, 1, 0, 0, 1};
  CHECK(sparse_rows(spikes.data(), 2, 3).binary);
}

TEST_CASE("spike-aware linear equals the dense products", "[ops][sparse]") {
  // out 200 = three full 64-column blocks and a tail of 8; out 50 = one partial block (three
  // vectors and 2 columns); out 10 = scalar only. in 300 is not a multiple of 16; chunk 128 =
  // the default, 16 and 7 make many chunks (7: not a multiple of the vector width).
  for (const int64_t out : {200, 50, 10})
    for (const double density : {0.0, 0.03, 0.1, 0.4})
      for (const bool binary : {true, false})
        for (const int64_t chunk : {int64_t(128), int64_t(16), int64_t(7)}) {
          const int64_t m = 37, in = 300;
          auto x = sparse_input(m * in, density, binary, 1);
          for (int64_t i = 0; i < in; ++i) x[5 * in + i] = 0.f;  // an empty row
          for (int64_t r = 0; r < m; ++r) x[r * in + 17] = 0.f;  // an empty column
          const auto w = dense_values(out * in, 2), b = dense_values(out, 3);
          const auto gy = dense_values(m * out, 4);
          std::vector<float> y(m * out), ys(m * out);
          linear_forward(x.data(), m, in, w.data(), b.data(), out, y.data());
          SparseRows r = sparse_rows(x.data(), m, in, 1.0, chunk);
          CHECK(r.binary == (binary || density == 0.0));
          linear_forward_sparse(r, w.data(), b.data(), out, ys.data());
          auto gw = dense_values(out * in, 5), gws = gw;  // both accumulate onto the same start
          linear_backward(x.data(), gy.data(), m, in, w.data(), out, nullptr, gw.data(), nullptr);
          linear_backward_weight_sparse(r, gy.data(), out, gws.data(), chunk);
          INFO("out=" << out << " density=" << density << " binary=" << binary
                      << " chunk=" << chunk);
          CHECK(max_abs_diff(y, ys) < 2e-5f * std::sqrt(float(in)));
          CHECK(max_abs_diff(gw, gws) < 2e-5f * std::sqrt(float(m)) * 4.f);
          if (density == 0.0) CHECK(ys == std::vector<float>(y));  // only the bias: exact
        }
}

TEST_CASE("spike-aware linear: the chunking does not change a single bit", "[ops][sparse]") {
  // Partial sums are carried across chunks in float, so any chunk size gives the same floats;
  // binary inputs give the same floats as the same inputs stored as non-binary values.
  const int64_t m = 45, in = 333, out = 130;
  const auto x = sparse_input(m * in, 0.2, true, 11);
  const auto w = dense_values(out * in, 12), gy = dense_values(m * out, 13);
  auto run = [&](const std::vector<float>& xv, int64_t chunk) {
    SparseRows r = sparse_rows(xv.data(), m, in, 1.0, chunk);
    std::vector<float> y(m * out), gw(out * in, 0.f);
    linear_forward_sparse(r, w.data(), nullptr, out, y.data());
    linear_backward_weight_sparse(r, gy.data(), out, gw.data(), chunk);
    y.insert(y.end(), gw.begin(), gw.end());
    return y;
  };
  const auto ref = run(x, 128);
  CHECK(run(x, 16) == ref);
  CHECK(run(x, 1000) == ref);
  // The same matrix through the non-binary path: build with one spike doubled (not binary),
  // then set its value back to 1.
  auto x2 = x;
  const auto first = std::find(x2.begin(), x2.end(), 1.f);
  REQUIRE(first != x2.end());
  *first = 2.f;
  SparseRows r2 = sparse_rows(x2.data(), m, in);
  CHECK_FALSE(r2.binary);
  for (int64_t e = 0; e < r2.nnz; ++e)
    if (r2.value[e] == 2.f) r2.value[e] = 1.f;
  std::vector<float> y(m * out), gw(out * in, 0.f);
  linear_forward_sparse(r2, w.data(), nullptr, out, y.data());
  linear_backward_weight_sparse(r2, gy.data(), out, gw.data());
  y.insert(y.end(), gw.begin(), gw.end());
  CHECK(y == ref);
}

TEST_CASE("spike-aware linear is bit-identical with 1 and 2 threads", "[ops][sparse][threads]") {
  const int saved = num_threads();
  const int64_t m = 200, in = 500, out = 300;
  for (const bool binary : {true, false}) {
    const auto x = sparse_input(m * in, 0.08, binary, 7);
    const auto w = dense_values(out * in, 8), gy = dense_values(m * out, 9);
    auto run = [&](int threads) {
      set_num_threads(threads);
      SparseRows r = sparse_rows(x.data(), m, in);
      std::vector<float> y(m * out), gw(out * in, 0.f);
      linear_forward_sparse(r, w.data(), nullptr, out, y.data());
      linear_backward_weight_sparse(r, gy.data(), out, gw.data());
      y.insert(y.end(), gw.begin(), gw.end());
      return y;
    };
    const auto one = run(1), two = run(2);
    set_num_threads(saved);
    CHECK(one == two);
  }
}
