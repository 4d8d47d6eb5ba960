#include <catch2/catch.hpp>

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

TEST_CASE("spike-aware linear equals the dense products", "[ops][sparse]") {
  // out 200 = three full 64-column blocks and a tail of 8; out 50 = one partial block.
  for (const int64_t out : {200, 50})
    for (const double density : {0.0, 0.03, 0.1, 0.4})
      for (const bool binary : {true, false}) {
        const int64_t m = 37, in = 300;
        const auto x = sparse_input(m * in, density, binary, 1);
        const auto w = dense_values(out * in, 2), b = dense_values(out, 3);
        const auto gy = dense_values(m * out, 4);
        std::vector<float> y(m * out), ys(m * out);
        linear_forward(x.data(), m, in, w.data(), b.data(), out, y.data());
        SparseRows r = sparse_rows(x.data(), m, in);
        linear_forward_sparse(r, w.data(), b.data(), out, ys.data());
        auto gw = dense_values(out * in, 5), gws = gw;  // both accumulate onto the same start
        linear_backward(x.data(), gy.data(), m, in, w.data(), out, nullptr, gw.data(), nullptr);
        linear_backward_weight_sparse(r, gy.data(), out, gws.data());
        INFO("out=" << out << " density=" << density << " binary=" << binary);
        CHECK(max_abs_diff(y, ys) < 2e-5f * std::sqrt(float(in)));
        CHECK(max_abs_diff(gw, gws) < 2e-5f * std::sqrt(float(m)) * 4.f);
        if (density == 0.0) CHECK(ys == std::vector<float>(y));  // only the bias: exact
      }
}

TEST_CASE("spike-aware linear is bit-identical with 1 and 2 threads", "[ops][sparse][threads]") {
  const int saved = num_threads();
  const int64_t m = 64, in = 500, out = 300;
  const auto x = sparse_input(m * in, 0.08, true, 7);
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
