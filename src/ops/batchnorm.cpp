#include "soma/ops/batchnorm.hpp"

#include <cmath>

namespace soma {

namespace {
constexpr int64_t kParallelElems = 1 << 15;
}

void batchnorm_forward_train(const float* x, int64_t b, int64_t c, int64_t s, const float* gamma,
                             const float* beta, float eps, float* y, float* x_hat, double* mean,
                             double* var, float* inv_std) {
  const double n = double(b) * double(s);
#pragma omp parallel for schedule(static) if (b * c * s > kParallelElems)
  for (int64_t ch = 0; ch < c; ++ch) {
    double sum = 0.0;
    for (int64_t i = 0; i < b; ++i) {
      const float* p = x + (i * c + ch) * s;
      for (int64_t k = 0; k < s; ++k) sum += p[k];
    }
    const double mu = sum / n;
    double sq = 0.0;  // two-pass variance: no cancellation
    for (int64_t i = 0; i < b; ++i) {
      const float* p = x + (i * c + ch) * s;
      for (int64_t k = 0; k < s; ++k) {
        const double d = p[k] - mu;
        sq += d * d;
      }
    }
    const double v = sq / n;
    const double is = 1.0 / std::sqrt(v + double(eps));
    mean[ch] = mu;
    var[ch] = v;
    inv_std[ch] = static_cast<float>(is);
    const float g = gamma ? gamma[ch] : 1.f, bt = beta ? beta[ch] : 0.f;
    const float muf = static_cast<float>(mu), isf = static_cast<float>(is);
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
  const double n = double(b) * double(s);
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
    if (grad_gamma) grad_gamma[ch] += static_cast<float>(sgx);
    if (grad_beta) grad_beta[ch] += static_cast<float>(sg);
    if (!grad_x) continue;
    const float g = gamma ? gamma[ch] : 1.f;
    const float scale = g * inv_std[ch];
    const float mg = static_cast<float>(sg / n), mgx = static_cast<float>(sgx / n);
    for (int64_t i = 0; i < b; ++i) {
      const float* gy = grad_y + (i * c + ch) * s;
      const float* h = x_hat + (i * c + ch) * s;
      float* gx = grad_x + (i * c + ch) * s;
      for (int64_t k = 0; k < s; ++k) gx[k] = scale * (gy[k] - mg - h[k] * mgx);
    }
  }
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
