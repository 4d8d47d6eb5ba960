#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <tuple>
#include <vector>

#include "soma/core/rng.hpp"
#include "soma/core/threads.hpp"
#include "soma/ops/gemm.hpp"

#include "support/random_data.hpp"

using namespace soma;
using soma::testing::rand_vec;

namespace {

// Reference: C = alpha op(A) op(B) + beta C in double.
void naive(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0.0;
      for (int64_t p = 0; p < k; ++p) {
        const double av = ta ? a[p * lda + i] : a[i * lda + p];
        const double bv = tb ? b[j * ldb + p] : b[p * ldb + j];
        s += av * bv;
      }
      c[i * ldc + j] = static_cast<float>(alpha * s + (beta == 0.f ? 0.0 : beta * c[i * ldc + j]));
    }
}

}  // namespace

TEST_CASE("gemm matches a naive product for every transpose, stride, alpha, beta", "[ops][gemm]") {
  for (int64_t m : {1, 7, 70})
    for (int64_t n : {1, 5, 90})
      for (int64_t k : {0, 3, 33})
        for (int ta = 0; ta < 2; ++ta)
          for (int tb = 0; tb < 2; ++tb)
            for (float beta : {0.f, 1.f, 0.5f}) {
              const float alpha = 0.75f;
              const int64_t lda = (ta ? m : k) + 2, ldb = (tb ? k : n) + 1, ldc = n + 3;
              auto a = rand_vec((ta ? k : m) * lda, 1), b = rand_vec((tb ? n : k) * ldb, 2);
              auto c = rand_vec(m * ldc, 3), ref = c;
              gemm(ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, c.data(), ldc);
              naive(ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, ref.data(), ldc);
              float err = 0.f;
              for (int64_t i = 0; i < m; ++i)
                for (int64_t j = 0; j < n; ++j)
                  err = std::max(err, std::fabs(c[i * ldc + j] - ref[i * ldc + j]));
              INFO("m=" << m << " n=" << n << " k=" << k << " ta=" << ta << " tb=" << tb
                        << " beta=" << beta);
              CHECK(err < 1e-4f);
              // Padding columns of C are untouched.
              if (ldc > n) CHECK(c[n] == ref[n]);
            }
}

TEST_CASE("gemm with beta = 0 ignores NaNs already in C", "[ops][gemm]") {
  auto a = rand_vec(4 * 3, 1), b = rand_vec(3 * 5, 2);
  std::vector<float> c(4 * 5, std::numeric_limits<float>::quiet_NaN());
  gemm(false, false, 4, 5, 3, 1.f, a.data(), 3, b.data(), 5, 0.f, c.data(), 5);
  for (float v : c) CHECK(std::isfinite(v));
}

TEST_CASE("gemm gives bit-identical results with 1 and 2 threads", "[ops][gemm][threads]") {
  const int saved = num_threads();
  for (auto [m, n, k] : {std::tuple<int64_t, int64_t, int64_t>{300, 100, 200}, {64, 900, 150}}) {
    auto a = rand_vec(m * k, 4), b = rand_vec(k * n, 5);
    std::vector<float> c1(m * n), c2(m * n);
    set_num_threads(1);
    gemm(false, false, m, n, k, 1.f, a.data(), k, b.data(), n, 0.f, c1.data(), n);
    set_num_threads(2);
    gemm(false, false, m, n, k, 1.f, a.data(), k, b.data(), n, 0.f, c2.data(), n);
    CHECK(c1 == c2);
  }
  set_num_threads(saved);
}

TEST_CASE("gemm backend agrees with the Eigen reference at SNN shapes", "[ops][gemm][backend]") {
  INFO("backend " << gemm_backend());
  struct Case {
    bool ta, tb;
    int64_t m, n, k;
  };
  for (const Case& cs : {Case{false, true, 640, 80, 2312}, Case{true, false, 80, 231, 640},
                         Case{false, false, 64, 1024, 576}, Case{false, true, 64, 576, 1024},
                         Case{true, false, 576, 256, 64}, Case{false, false, 64, 4096, 18}}) {
    const int64_t lda = cs.ta ? cs.m : cs.k, ldb = cs.tb ? cs.k : cs.n;
    auto a = rand_vec(cs.m * cs.k, 7), b = rand_vec(cs.k * cs.n, 8);
    auto c = rand_vec(cs.m * cs.n, 9), ref = c;
    gemm(cs.ta, cs.tb, cs.m, cs.n, cs.k, 0.5f, a.data(), lda, b.data(), ldb, 1.f, c.data(), cs.n);
    gemm_eigen(cs.ta, cs.tb, cs.m, cs.n, cs.k, 0.5f, a.data(), lda, b.data(), ldb, 1.f,
               ref.data(), cs.n);
    float err = 0.f;
    for (size_t i = 0; i < c.size(); ++i) err = std::max(err, std::fabs(c[i] - ref[i]));
    INFO("m=" << cs.m << " n=" << cs.n << " k=" << cs.k);
    CHECK(err < 1e-5f * std::sqrt(float(cs.k)) * 4.f);
  }
}

TEST_CASE("gemm is thread-count invariant in every calling context", "[ops][gemm][threads]") {
  // A big single product, a product too small to split, and products called from inside a
  // parallel loop (as conv2d does): the backend must never thread on its own.
  const int saved = num_threads();
  const int64_t m = 96, n = 2000, k = 700;
  auto a = rand_vec(m * k, 10), b = rand_vec(k * n, 11);
  auto run = [&](int threads) {
    set_num_threads(threads);
    std::vector<float> out(3 * m * n);
    gemm(false, false, m, n, k, 1.f, a.data(), k, b.data(), n, 0.f, out.data(), n);
    gemm(true, false, 8, 60, m, 1.f, a.data(), k, b.data(), n, 0.f, out.data() + m * n, 60);
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < 4; ++r)
      gemm(false, true, m / 4, 500, k, 1.f, a.data() + r * (m / 4) * k, k, b.data(), k, 0.f,
           out.data() + 2 * m * n + r * (m / 4) * 500, 500);
    return out;
  };
  const auto one = run(1), two = run(2);
  set_num_threads(saved);
  CHECK(one == two);
}
