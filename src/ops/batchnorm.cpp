#include "soma/ops/batchnorm.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "soma/ops/lane_sum.hpp"

namespace soma {

namespace {

constexpr int64_t kParallelElems = 1 << 15;
// Double lanes of the channel sums (lane_sum.hpp): four independent add chains per sum (one
// chain of 8 lanes was latency-bound: the statistics passes ran at half the speed of the
// memory system).
constexpr int64_t kLanes = kSumLanes;
// Values per work item of the chunked channel reductions (whole images of [C, S]).
constexpr int64_t kChunkElems = 1 << 16;

// LaneSums with the fused two-sum passes of batch norm.
struct Lanes : LaneSums {
  // sum of (x - shift) and of (x - shift)^2 in double (one pass for mean and variance).
  static void add_shifted(Lanes& s1, Lanes& s2, const float* p, int64_t n, double shift) {
    Lanes a = s1, q = s2;  // locals: the chains stay in registers
    int64_t k = 0;
    for (; k + kLanes <= n; k += kLanes)
      for (int64_t j = 0; j < kLanes; ++j) {
        const double d = double(p[k + j]) - shift;
        a.v[j] += d;
        q.v[j] += d * d;
      }
    for (int64_t j = 0; k + j < n; ++j) {
      const double d = double(p[k + j]) - shift;
      a.v[j] += d;
      q.v[j] += d * d;
    }
    s1 = a;
    s2 = q;
  }
  // sum of g and of g * x_hat, with x_hat read from q, or recomputed in float as
  // (q - mu) * is (exactly as the forward computes it) when `norm`.
  template <bool norm>
  static void add_grad(Lanes& sg, Lanes& sgx, const float* g, const float* q, int64_t n, float mu,
                       float is) {
    Lanes a = sg, e = sgx;  // locals: the chains stay in registers
    int64_t k = 0;
    for (; k + kLanes <= n; k += kLanes)
      for (int64_t j = 0; j < kLanes; ++j) {
        const float xh = norm ? (q[k + j] - mu) * is : q[k + j];
        a.v[j] += double(g[k + j]);
        e.v[j] += double(g[k + j]) * double(xh);
      }
    for (int64_t j = 0; k + j < n; ++j) {
      const float xh = norm ? (q[k + j] - mu) * is : q[k + j];
      a.v[j] += double(g[k + j]);
      e.v[j] += double(g[k + j]) * double(xh);
    }
    sg = a;
    sgx = e;
  }
};

// Two per-channel sums over [B, C, S] (S >= kLanes) in one read pass: the images are cut into
// chunks of a fixed number of images (a function of the shape only); each chunk reads its
// images in memory order and keeps two Lanes per channel; the chunk totals are added in chunk
// order. So the result does not depend on the thread count, and every work item streams one
// contiguous block (a per-channel split would jump by C*S between planes of S values).
// add(ch, i, acc1, acc2) adds plane (i, ch) to the two accumulators.
template <class Add>
void chunked_channel_sums(int64_t b, int64_t c, int64_t s, double* out1, double* out2,
                          const Add& add) {
  const int64_t per = std::clamp<int64_t>(kChunkElems / (c * s), 1, b);
  const int64_t chunks = (b + per - 1) / per;
  std::vector<double> part(2 * chunks * c);
#pragma omp parallel if (b * c * s > kParallelElems)
  {
    std::vector<Lanes> acc(2 * c);
#pragma omp for schedule(static)
    for (int64_t k = 0; k < chunks; ++k) {
      std::fill(acc.begin(), acc.end(), Lanes{});
      for (int64_t i = k * per; i < std::min(b, (k + 1) * per); ++i)
        for (int64_t ch = 0; ch < c; ++ch) add(ch, i, acc[2 * ch], acc[2 * ch + 1]);
      for (int64_t ch = 0; ch < c; ++ch) {
        part[(k * c + ch) * 2] = acc[2 * ch].total();
        part[(k * c + ch) * 2 + 1] = acc[2 * ch + 1].total();
      }
    }
  }
  for (int64_t ch = 0; ch < c; ++ch) {
    double t1 = 0.0, t2 = 0.0;
    for (int64_t k = 0; k < chunks; ++k) {
      t1 += part[(k * c + ch) * 2];
      t2 += part[(k * c + ch) * 2 + 1];
    }
    out1[ch] = t1;
    out2[ch] = t2;
  }
}

// Small planes (s < kLanes, e.g. BN after a linear layer, s = 1): out[ch] = sum over (i, k) of
// x or (x - mu[ch])^2 when mu is given; images in order, channels vectorized.
void channel_sums(const float* x, int64_t b, int64_t c, int64_t s, const double* mu,
                  double* out) {
  std::fill(out, out + c, 0.0);
  for (int64_t i = 0; i < b; ++i)
    for (int64_t ch = 0; ch < c; ++ch) {
      const float* p = x + (i * c + ch) * s;
      double acc = out[ch];
      for (int64_t k = 0; k < s; ++k) {
        const double d = mu ? double(p[k]) - mu[ch] : double(p[k]);
        acc += mu ? d * d : d;
      }
      out[ch] = acc;
    }
}

// x_hat = y, or (y - mu[ch]) * is[ch] recomputed when mu is given.
void channel_prod_sums(const float* x, const float* y, int64_t b, int64_t c, int64_t s,
                       const float* mu, const float* is, double* out) {
  std::fill(out, out + c, 0.0);
  for (int64_t i = 0; i < b; ++i)
    for (int64_t ch = 0; ch < c; ++ch) {
      double acc = out[ch];
      for (int64_t k = 0; k < s; ++k) {
        const float yv = y[(i * c + ch) * s + k];
        const float xh = mu ? (yv - mu[ch]) * is[ch] : yv;
        acc += double(x[(i * c + ch) * s + k]) * double(xh);
      }
      out[ch] = acc;
    }
}

// Backward through batch statistics in two passes: (1) sum grad_y and sum grad_y * x_hat per
// channel (reads grad_y and x_hat or x), (2) grad_x (reads both again, writes grad_x). x_hat
// is read from `xh_src`, or recomputed from the input as (x - mean_f) * inv_std when mean_f is
// given (the float expression of the forward, so the same values bit for bit).
void backward_train_impl(const float* grad_y, const float* xh_src, const float* mean_f,
                         const float* inv_std, int64_t b, int64_t c, int64_t s,
                         const float* gamma, float* grad_x, float* grad_gamma,
                         float* grad_beta) {
  const double n = double(b) * double(s);
  std::vector<double> sg(c), sgx(c);
  if (s >= kLanes) {
    chunked_channel_sums(b, c, s, sg.data(), sgx.data(),
                         [&](int64_t ch, int64_t i, Lanes& a1, Lanes& a2) {
                           const int64_t o = (i * c + ch) * s;
                           if (mean_f)
                             Lanes::add_grad<true>(a1, a2, grad_y + o, xh_src + o, s, mean_f[ch],
                                                   inv_std[ch]);
                           else
                             Lanes::add_grad<false>(a1, a2, grad_y + o, xh_src + o, s, 0.f, 1.f);
                         });
  } else {
    channel_sums(grad_y, b, c, s, nullptr, sg.data());
    channel_prod_sums(grad_y, xh_src, b, c, s, mean_f, inv_std, sgx.data());
  }
  for (int64_t ch = 0; ch < c; ++ch) {
    if (grad_gamma) grad_gamma[ch] += static_cast<float>(sgx[ch]);
    if (grad_beta) grad_beta[ch] += static_cast<float>(sg[ch]);
  }
  if (!grad_x) return;
#pragma omp parallel for schedule(static) if (b * c * s > kParallelElems)
  for (int64_t i = 0; i < b; ++i)
    for (int64_t ch = 0; ch < c; ++ch) {
      const float scale = (gamma ? gamma[ch] : 1.f) * inv_std[ch];
      const float mg = static_cast<float>(sg[ch] / n);
      const float mgx = static_cast<float>(sgx[ch] / n);
      const float* gy = grad_y + (i * c + ch) * s;
      const float* src = xh_src + (i * c + ch) * s;
      float* gx = grad_x + (i * c + ch) * s;
      if (mean_f) {
        const float mu = mean_f[ch], is = inv_std[ch];
        for (int64_t k = 0; k < s; ++k) {
          const float xh = (src[k] - mu) * is;
          gx[k] = scale * (gy[k] - mg - xh * mgx);
        }
      } else {
        for (int64_t k = 0; k < s; ++k) gx[k] = scale * (gy[k] - mg - src[k] * mgx);
      }
    }
}

}  // namespace

void batchnorm_forward_train(const float* x, int64_t b, int64_t c, int64_t s, const float* gamma,
                             const float* beta, float eps, float* y, float* x_hat, double* mean,
                             double* var, float* inv_std) {
  const double n = double(b) * double(s);
  if (s >= kLanes) {
    // Statistics in one read pass: sums of d = x - shift and d^2 in double, with the shift a
    // value of the channel (its first), so that the cancellation in var = E[d^2] - E[d]^2
    // stays at the scale of the spread, not of the mean.
    std::vector<double> shift(c), s1(c), s2(c);
    for (int64_t ch = 0; ch < c; ++ch) shift[ch] = double(x[ch * s]);
    chunked_channel_sums(b, c, s, s1.data(), s2.data(),
                         [&](int64_t ch, int64_t i, Lanes& a1, Lanes& a2) {
                           Lanes::add_shifted(a1, a2, x + (i * c + ch) * s, s, shift[ch]);
                         });
    for (int64_t ch = 0; ch < c; ++ch) {
      const double md = s1[ch] / n;
      mean[ch] = shift[ch] + md;
      var[ch] = std::max(s2[ch] / n - md * md, 0.0);
    }
  } else {
    // Two passes (no cancellation): the sums run over channels in image order.
    channel_sums(x, b, c, s, nullptr, mean);
    for (int64_t ch = 0; ch < c; ++ch) mean[ch] /= n;
    channel_sums(x, b, c, s, mean, var);
    for (int64_t ch = 0; ch < c; ++ch) var[ch] /= n;
  }
  for (int64_t ch = 0; ch < c; ++ch)
    inv_std[ch] = static_cast<float>(1.0 / std::sqrt(var[ch] + double(eps)));
  // Normalise: one pass writing y (and x_hat when asked).
#pragma omp parallel for schedule(static) if (b * c * s > kParallelElems)
  for (int64_t i = 0; i < b; ++i)
    for (int64_t ch = 0; ch < c; ++ch) {
      const float g = gamma ? gamma[ch] : 1.f, bt = beta ? beta[ch] : 0.f;
      const float muf = static_cast<float>(mean[ch]), isf = inv_std[ch];
      const float* p = x + (i * c + ch) * s;
      float* q = y + (i * c + ch) * s;
      if (x_hat) {
        float* h = x_hat + (i * c + ch) * s;
        for (int64_t k = 0; k < s; ++k) {
          const float xh = (p[k] - muf) * isf;
          h[k] = xh;
          q[k] = g * xh + bt;
        }
      } else {
        for (int64_t k = 0; k < s; ++k) q[k] = g * ((p[k] - muf) * isf) + bt;
      }
    }
}

void batchnorm_forward_eval(const float* x, int64_t b, int64_t c, int64_t s, const float* gamma,
                            const float* beta, float eps, const float* mean, const float* var,
                            float* y) {
#pragma omp parallel for schedule(static) if (b * c * s > kParallelElems)
  for (int64_t i = 0; i < b; ++i)
    for (int64_t ch = 0; ch < c; ++ch) {
      const float is = static_cast<float>(1.0 / std::sqrt(double(var[ch]) + double(eps)));
      const float scale = (gamma ? gamma[ch] : 1.f) * is;
      const float shift = (beta ? beta[ch] : 0.f) - mean[ch] * scale;
      const float* p = x + (i * c + ch) * s;
      float* q = y + (i * c + ch) * s;
      for (int64_t k = 0; k < s; ++k) q[k] = p[k] * scale + shift;
    }
}

void batchnorm_backward_train(const float* grad_y, const float* x_hat, const float* inv_std,
                              int64_t b, int64_t c, int64_t s, const float* gamma, float* grad_x,
                              float* grad_gamma, float* grad_beta) {
  backward_train_impl(grad_y, x_hat, nullptr, inv_std, b, c, s, gamma, grad_x, grad_gamma,
                      grad_beta);
}

void batchnorm_backward_train_from_input(const float* grad_y, const float* x, const float* mean_f,
                                         const float* inv_std, int64_t b, int64_t c, int64_t s,
                                         const float* gamma, float* grad_x, float* grad_gamma,
                                         float* grad_beta) {
  backward_train_impl(grad_y, x, mean_f, inv_std, b, c, s, gamma, grad_x, grad_gamma, grad_beta);
}

void batchnorm_backward_eval(const float* x, const float* grad_y, int64_t b, int64_t c,
                             int64_t s, const float* gamma, float eps, const float* mean,
                             const float* var, float* grad_x, float* grad_gamma,
                             float* grad_beta) {
#pragma omp parallel for schedule(static) if (b * c * s > kParallelElems)
  for (int64_t ch = 0; ch < c; ++ch) {
    const double is = 1.0 / std::sqrt(double(var[ch]) + double(eps));
    const float scale = (gamma ? gamma[ch] : 1.f) * static_cast<float>(is);
    double sg = 0.0, sgx = 0.0;
    for (int64_t i = 0; i < b; ++i) {
      const float* gy = grad_y + (i * c + ch) * s;
      const float* p = x + (i * c + ch) * s;
      float* gx = grad_x ? grad_x + (i * c + ch) * s : nullptr;
      for (int64_t k = 0; k < s; ++k) {
        sg += gy[k];
        sgx += double(gy[k]) * (double(p[k]) - mean[ch]) * is;
        if (gx) gx[k] = scale * gy[k];
      }
    }
    if (grad_gamma) grad_gamma[ch] += static_cast<float>(sgx);
    if (grad_beta) grad_beta[ch] += static_cast<float>(sg);
  }
}

void batchnorm_channel_sums(const float* x, int64_t b, int64_t c, int64_t s, double* sum) {
#pragma omp parallel for schedule(static) if (b * c * s > kParallelElems)
  for (int64_t ch = 0; ch < c; ++ch) {
    double acc = 0.0;
    for (int64_t i = 0; i < b; ++i) {
      const float* p = x + (i * c + ch) * s;
      for (int64_t k = 0; k < s; ++k) acc += p[k];
    }
    sum[ch] = acc;
  }
}

void batchnorm_channel_sq_dev(const float* x, int64_t b, int64_t c, int64_t s, const double* mean,
                              double* sq) {
#pragma omp parallel for schedule(static) if (b * c * s > kParallelElems)
  for (int64_t ch = 0; ch < c; ++ch) {
    const double mu = mean[ch];
    double acc = 0.0;
    for (int64_t i = 0; i < b; ++i) {
      const float* p = x + (i * c + ch) * s;
      for (int64_t k = 0; k < s; ++k) {
        const double d = p[k] - mu;
        acc += d * d;
      }
    }
    sq[ch] = acc;
  }
}

void batchnorm_normalize(const float* x, int64_t b, int64_t c, int64_t s, const float* gamma,
                         const float* beta, const double* mean, const float* inv_std, float* y,
                         float* x_hat) {
#pragma omp parallel for schedule(static) if (b * c * s > kParallelElems)
  for (int64_t ch = 0; ch < c; ++ch) {
    const float g = gamma ? gamma[ch] : 1.f, bt = beta ? beta[ch] : 0.f;
    const float muf = static_cast<float>(mean[ch]), isf = inv_std[ch];
    for (int64_t i = 0; i < b; ++i) {
      const float* p = x + (i * c + ch) * s;
      float* q = y + (i * c + ch) * s;
      float* h = x_hat ? x_hat + (i * c + ch) * s : nullptr;
      for (int64_t k = 0; k < s; ++k) {
        const float xh = (p[k] - muf) * isf;
        if (h) h[k] = xh;
        q[k] = g * xh + bt;
      }
    }
  }
}

void batchnorm_update_running(float* running_mean, float* running_var, const double* mean,
                              const double* var, int64_t c, double momentum, double count) {
  const double m = momentum, unbias = count / (count - 1.0);
  for (int64_t ch = 0; ch < c; ++ch) {
    running_mean[ch] = static_cast<float>((1.0 - m) * running_mean[ch] + m * mean[ch]);
    running_var[ch] = static_cast<float>((1.0 - m) * running_var[ch] + m * var[ch] * unbias);
  }
}

void batchnorm_grad_sums(const float* grad_y, const float* x_hat, int64_t b, int64_t c, int64_t s,
                         double* sum_g, double* sum_gx) {
#pragma omp parallel for schedule(static) if (b * c * s > kParallelElems)
  for (int64_t ch = 0; ch < c; ++ch) {
    double sg = 0.0, sgx = 0.0;
    for (int64_t i = 0; i < b; ++i) {
      const float* gy = grad_y + (i * c + ch) * s;
      const float* h = x_hat + (i * c + ch) * s;
      for (int64_t k = 0; k < s; ++k) {
        sg += gy[k];
        sgx += double(gy[k]) * h[k];
      }
    }
    sum_g[ch] = sg;
    sum_gx[ch] = sgx;
  }
}

void batchnorm_backward_apply(const float* grad_y, const float* x_hat, const float* inv_std,
                              int64_t b, int64_t c, int64_t s, const float* gamma, double n,
                              const double* sum_g, const double* sum_gx, float* grad_x) {
#pragma omp parallel for schedule(static) if (b * c * s > kParallelElems)
  for (int64_t ch = 0; ch < c; ++ch) {
    const float scale = (gamma ? gamma[ch] : 1.f) * inv_std[ch];
    const float mg = static_cast<float>(sum_g[ch] / n), mgx = static_cast<float>(sum_gx[ch] / n);
    for (int64_t i = 0; i < b; ++i) {
      const float* gy = grad_y + (i * c + ch) * s;
      const float* h = x_hat + (i * c + ch) * s;
      float* gx = grad_x + (i * c + ch) * s;
      for (int64_t k = 0; k < s; ++k) gx[k] = scale * (gy[k] - mg - h[k] * mgx);
    }
  }
}

}  // namespace soma
