#include <catch2/catch.hpp>

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
