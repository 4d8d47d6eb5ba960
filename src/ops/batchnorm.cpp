#include "soma/ops/batchnorm.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace soma {

namespace {

constexpr int64_t kParallelElems = 1 << 15;
constexpr int64_t kLanes = 8;

// A double sum kept in kLanes independent lanes (element k goes to lane k % kLanes within each
// added range), reduced in lane order at the end: a fixed order, so the result depends only on
// the data, and the lanes vectorize (one serial chain of double adds is latency-bound, ~4x
// slower).
struct Lanes {
  double v[kLanes] = {};
  void add(const float* p, int64_t n) {
    int64_t k = 0;
    for (; k + kLanes <= n; k += kLanes)
      for (int64_t j = 0; j < kLanes; ++j) v[j] += double(p[k + j]);
    for (int64_t j = 0; k + j < n; ++j) v[j] += double(p[k + j]);
  }
  void add_sq_dev(const float* p, int64_t n, double mu) {
    int64_t k = 0;
    for (; k + kLanes <= n; k += kLanes)
      for (int64_t j = 0; j < kLanes; ++j) {
        const double d = double(p[k + j]) - mu;
        v[j] += d * d;
      }
    for (int64_t j = 0; k + j < n; ++j) {
      const double d = double(p[k + j]) - mu;
      v[j] += d * d;
    }
  }
  void add_prod(const float* p, const float* q, int64_t n) {
    int64_t k = 0;
    for (; k + kLanes <= n; k += kLanes)
      for (int64_t j = 0; j < kLanes; ++j) v[j] += double(p[k + j]) * double(q[k + j]);
    for (int64_t j = 0; k + j < n; ++j) v[j] += double(p[k + j]) * double(q[k + j]);
  }
  // sum of p * x_hat with x_hat = (q - mu) * is recomputed in float, as the forward stores it.
  void add_prod_norm(const float* p, const float* q, int64_t n, float mu, float is) {
    int64_t k = 0;
    for (; k + kLanes <= n; k += kLanes)
      for (int64_t j = 0; j < kLanes; ++j) {
        const float xh = (q[k + j] - mu) * is;
        v[j] += double(p[k + j]) * double(xh);
      }
    for (int64_t j = 0; k + j < n; ++j) {
      const float xh = (q[k + j] - mu) * is;
      v[j] += double(p[k + j]) * double(xh);
    }
  }
  double total() const {
    double t = 0.0;
    for (int64_t j = 0; j < kLanes; ++j) t += v[j];
    return t;
  }
};

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

// Backward through batch statistics. x_hat is read from `xh_src`, or recomputed from the input
// as (x - mean_f) * inv_std when mean_f is given (the float expression of the forward, so the
// same values bit for bit).
void backward_train_impl(const float* grad_y, const float* xh_src, const float* mean_f,
                         const float* inv_std, int64_t b, int64_t c, int64_t s,
                         const float* gamma, float* grad_x, float* grad_gamma,
                         float* grad_beta) {
  const double n = double(b) * double(s);
  std::vector<double> sums(2 * c);  // per channel: sum gy, sum gy * x_hat
  if (s >= kLanes) {
#pragma omp parallel for schedule(static) if (b * c * s > kParallelElems)
    for (int64_t ch = 0; ch < c; ++ch) {
      Lanes sg, sgx;
      for (int64_t i = 0; i < b; ++i) {
        const float* gy = grad_y + (i * c + ch) * s;
        const float* src = xh_src + (i * c + ch) * s;
        sg.add(gy, s);
        if (mean_f)
          sgx.add_prod_norm(gy, src, s, mean_f[ch], inv_std[ch]);
        else
          sgx.add_prod(gy, src, s);
      }
      sums[2 * ch] = sg.total();
      sums[2 * ch + 1] = sgx.total();
    }
  } else {
    std::vector<double> sg(c), sgx(c);
    channel_sums(grad_y, b, c, s, nullptr, sg.data());
    channel_prod_sums(grad_y, xh_src, b, c, s, mean_f, inv_std, sgx.data());
    for (int64_t ch = 0; ch < c; ++ch) {
      sums[2 * ch] = sg[ch];
      sums[2 * ch + 1] = sgx[ch];
    }
  }
  for (int64_t ch = 0; ch < c; ++ch) {
    if (grad_gamma) grad_gamma[ch] += static_cast<float>(sums[2 * ch + 1]);
    if (grad_beta) grad_beta[ch] += static_cast<float>(sums[2 * ch]);
  }
  if (!grad_x) return;
#pragma omp parallel for schedule(static) if (b * c * s > kParallelElems)
  for (int64_t i = 0; i < b; ++i)
    for (int64_t ch = 0; ch < c; ++ch) {
      const float scale = (gamma ? gamma[ch] : 1.f) * inv_std[ch];
      const float mg = static_cast<float>(sums[2 * ch] / n);
      const float mgx = static_cast<float>(sums[2 * ch + 1] / n);
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
  const bool by_plane = s >= kLanes;
  // Statistics: two passes (no cancellation), in double, in kLanes fixed lanes.
  if (by_plane) {
#pragma omp parallel for schedule(static) if (b * c * s > kParallelElems)
    for (int64_t ch = 0; ch < c; ++ch) {
      Lanes sum;
      for (int64_t i = 0; i < b; ++i) sum.add(x + (i * c + ch) * s, s);
      const double mu = sum.total() / n;
      Lanes sq;
      for (int64_t i = 0; i < b; ++i) sq.add_sq_dev(x + (i * c + ch) * s, s, mu);
      mean[ch] = mu;
      var[ch] = sq.total() / n;
    }
  } else {
    channel_sums(x, b, c, s, nullptr, mean);
    for (int64_t ch = 0; ch < c; ++ch) mean[ch] /= n;
    channel_sums(x, b, c, s, mean, var);
    for (int64_t ch = 0; ch < c; ++ch) var[ch] /= n;
  }
  for (int64_t ch = 0; ch < c; ++ch)
    inv_std[ch] = static_cast<float>(1.0 / std::sqrt(var[ch] + double(eps)));
  // Normalise: one pass writing y and x_hat.
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
