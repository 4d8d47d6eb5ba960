#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <vector>

#include "soma/core/rng.hpp"
#include "soma/core/threads.hpp"
#include "soma/ops/batchnorm.hpp"

using namespace soma;

namespace {

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("batchnorm backward from the input equals the backward from x_hat, bit for bit",
          "[ops][batchnorm]") {
  // s >= 8 (planes, lane sums, with a tail) and s < 8 (BN after linear layers).
  for (const int64_t s : {int64_t(37), int64_t(1), int64_t(3)}) {
    const int64_t b = 24, c = 5, n = b * c * s;
    Rng rng(11);
    std::vector<float> x(n), gy(n), gamma(c), beta(c);
    for (auto& v : x) v = rng.uniform(-2.f, 3.f);
    for (auto& v : gy) v = rng.uniform(-1.f, 1.f);
    for (auto& v : gamma) v = rng.uniform(0.5f, 1.5f);
    for (auto& v : beta) v = rng.uniform(-0.5f, 0.5f);
    std::vector<float> y(n), y2(n), xh(n), inv_std(c), inv_std2(c);
    std::vector<double> mean(c), var(c), mean2(c), var2(c);
    batchnorm_forward_train(x.data(), b, c, s, gamma.data(), beta.data(), 1e-5f, y.data(),
                            xh.data(), mean.data(), var.data(), inv_std.data());
    batchnorm_forward_train(x.data(), b, c, s, gamma.data(), beta.data(), 1e-5f, y2.data(),
                            nullptr, mean2.data(), var2.data(), inv_std2.data());
    CHECK(same_bits(y, y2));  // writing x_hat or not changes nothing
    CHECK(same_bits(inv_std, inv_std2));
    std::vector<float> mean_f(c);
    for (int64_t ch = 0; ch < c; ++ch) mean_f[ch] = static_cast<float>(mean[ch]);
    std::vector<float> gx(n), gg(c, 0.25f), gb(c, -0.5f);
    batchnorm_backward_train(gy.data(), xh.data(), inv_std.data(), b, c, s, gamma.data(),
                             gx.data(), gg.data(), gb.data());
    for (const int threads : {1, 2}) {
      set_num_threads(threads);
      std::vector<float> gx2(n, 9.f), gg2(c, 0.25f), gb2(c, -0.5f);
      batchnorm_backward_train_from_input(gy.data(), x.data(), mean_f.data(), inv_std.data(), b,
                                          c, s, gamma.data(), gx2.data(), gg2.data(),
                                          gb2.data());
      INFO("s=" << s << " threads=" << threads);
      CHECK(same_bits(gx, gx2));
      CHECK(same_bits(gg, gg2));
      CHECK(same_bits(gb, gb2));
      // gamma null (affine: false) and no param grads
      std::vector<float> gx3(n), gx4(n);
      batchnorm_backward_train(gy.data(), xh.data(), inv_std.data(), b, c, s, nullptr,
                               gx3.data(), nullptr, nullptr);
      batchnorm_backward_train_from_input(gy.data(), x.data(), mean_f.data(), inv_std.data(), b,
                                          c, s, nullptr, gx4.data(), nullptr, nullptr);
      CHECK(same_bits(gx3, gx4));
    }
    set_num_threads(1);
  }
}

TEST_CASE("batchnorm statistics in one pass: accurate far from zero, thread-count invariant",
          "[ops][batchnorm]") {
  // b = 70 images of c * s = 3000 values: several reduction chunks, the last one partial; s
  // with a lane tail (37 < 32 + 32); s = 5 takes the small-plane path.
  for (const int64_t s : {int64_t(1000), int64_t(37), int64_t(5)}) {
    const int64_t b = 70, c = 3, n = b * c * s;
    Rng rng(17);
    std::vector<float> x(n), gy(n), gamma{1.5f, 0.5f, -1.f}, beta{0.f, 1.f, -2.f};
    // channel 0 near 1000 with spread 0.5 (var = E[x^2] - E[x]^2 would cancel 7 digits),
    // channel 1 around 0, channel 2 constant except one value.
    for (int64_t i = 0; i < b; ++i)
      for (int64_t k = 0; k < s; ++k) {
        x[(i * c + 0) * s + k] = 1000.f + rng.uniform(-0.5f, 0.5f);
        x[(i * c + 1) * s + k] = rng.uniform(-2.f, 3.f);
        x[(i * c + 2) * s + k] = 4.f;
      }
    x[(5 * c + 2) * s] = 5.f;
    for (auto& v : gy) v = rng.uniform(-1.f, 1.f);
    for (int64_t ch = 0; ch < c; ++ch) {
      long double sum = 0, sq = 0;
      for (int64_t i = 0; i < b; ++i)
        for (int64_t k = 0; k < s; ++k) sum += x[(i * c + ch) * s + k];
      const long double mu = sum / (b * s);
      for (int64_t i = 0; i < b; ++i)
        for (int64_t k = 0; k < s; ++k) {
          const long double d = x[(i * c + ch) * s + k] - mu;
          sq += d * d;
        }
      const long double var = sq / (b * s);
      std::vector<float> y(n), inv_std(c);
      std::vector<double> mean(c), v(c);
      batchnorm_forward_train(x.data(), b, c, s, gamma.data(), beta.data(), 1e-5f, y.data(),
                              nullptr, mean.data(), v.data(), inv_std.data());
      INFO("s=" << s << " channel " << ch);
      CHECK(std::abs(double(mean[ch] - mu)) <= 1e-12 * std::abs(double(mu)) + 1e-15);
      CHECK(std::abs(double(v[ch] - var)) <= 1e-9 * double(var) + 1e-15);
    }
    std::vector<float> y1(n), y2(n), is1(c), is2(c), gx1(n), gx2(n), gg1(c), gg2(c), gb1(c),
        gb2(c), mf(c);
    std::vector<double> m1(c), v1(c), m2(c), v2(c);
    set_num_threads(1);
    batchnorm_forward_train(x.data(), b, c, s, gamma.data(), beta.data(), 1e-5f, y1.data(),
                            nullptr, m1.data(), v1.data(), is1.data());
    for (int64_t ch = 0; ch < c; ++ch) mf[ch] = static_cast<float>(m1[ch]);
    batchnorm_backward_train_from_input(gy.data(), x.data(), mf.data(), is1.data(), b, c, s,
                                        gamma.data(), gx1.data(), gg1.data(), gb1.data());
    set_num_threads(2);
    batchnorm_forward_train(x.data(), b, c, s, gamma.data(), beta.data(), 1e-5f, y2.data(),
                            nullptr, m2.data(), v2.data(), is2.data());
    batchnorm_backward_train_from_input(gy.data(), x.data(), mf.data(), is1.data(), b, c, s,
                                        gamma.data(), gx2.data(), gg2.data(), gb2.data());
    set_num_threads(1);
    INFO("s=" << s);
    CHECK(m1 == m2);
    CHECK(v1 == v2);
    CHECK(same_bits(y1, y2));
    CHECK(same_bits(gx1, gx2));
    CHECK(same_bits(gg1, gg2));
    CHECK(same_bits(gb1, gb2));
    // The gradient sums against a direct double reference.
    for (int64_t ch = 0; ch < c; ++ch) {
      double sg = 0, sgx = 0;
      for (int64_t i = 0; i < b; ++i)
        for (int64_t k = 0; k < s; ++k) {
          const int64_t o = (i * c + ch) * s + k;
          sg += gy[o];
          sgx += double(gy[o]) * double((x[o] - mf[ch]) * is1[ch]);
        }
      CHECK(gb1[ch] == Approx(sg).margin(1e-4));
      CHECK(gg1[ch] == Approx(sgx).margin(1e-4));
    }
  }
}
