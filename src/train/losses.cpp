#include "soma/train/losses.hpp"

#include <algorithm>
#include <cmath>

#include "soma/core/error.hpp"

namespace soma {
namespace {

using loss_detail::Dims;

// Work (elements) below which a loss runs single-threaded: the parallel region costs more.
constexpr int64_t kParallelMin = 1 << 15;

// Cross-entropy of one row of logits z[0..C) against the smoothed target
// q = (1 - eps) e_label + eps / C:  lse(z) - sum_c q_c z_c. When g is not null it receives
// scale * (softmax(z) - q). Accumulates in double; the max shift keeps exp() in range.
template <typename In>
double ce_row(const In* z, int64_t C, int label, double eps, float* g, double scale) {
  double zmax = z[0];
  for (int64_t c = 1; c < C; ++c) zmax = std::max(zmax, static_cast<double>(z[c]));
  double sum_exp = 0.0, sum_z = 0.0;
  for (int64_t c = 0; c < C; ++c) {
    sum_exp += std::exp(static_cast<double>(z[c]) - zmax);
    sum_z += z[c];
  }
  const double lse = zmax + std::log(sum_exp);
  const double off = eps / static_cast<double>(C);
  const double loss = lse - (1.0 - eps) * static_cast<double>(z[label]) - off * sum_z;
  if (g) {
    const double inv = 1.0 / sum_exp;
    for (int64_t c = 0; c < C; ++c) {
      const double p = std::exp(static_cast<double>(z[c]) - zmax) * inv;
      const double q = off + (c == label ? 1.0 - eps : 0.0);
      g[c] = static_cast<float>(scale * (p - q));
    }
  }
  return loss;
}

// m[n, c] = (1/T) sum_t y[t, n, c] in double, for all n, c.
void time_mean(const Tensor& y, const Dims& d, std::vector<double>& m) {
  m.resize(static_cast<size_t>(d.N * d.C));
  const float* py = y.data();
  const int64_t NC = d.N * d.C, T = d.T;
  const double inv_t = 1.0 / static_cast<double>(T);
#pragma omp parallel for schedule(static) if (T * NC > kParallelMin)
  for (int64_t i = 0; i < NC; ++i) {
    double s = 0.0;
    for (int64_t t = 0; t < T; ++t) s += py[t * NC + i];
    m[static_cast<size_t>(i)] = s * inv_t;
  }
}

// Prepares *grad_y to have y's shape, reusing its buffer when possible.
void shape_grad(const Tensor& y, Tensor* grad_y) {
  if (grad_y && (!grad_y->defined() || grad_y->shape() != y.shape() || grad_y->same_storage(y)))
    *grad_y = Tensor::empty(y.shape());
}

// Copies the t = 0 slice of g to t = 1..T-1 (losses on the time mean have dL/dy[t] = dL/dm / T
// for every t).
void broadcast_over_time(Tensor* grad_y, const Dims& d) {
  float* g = grad_y->data();
  const int64_t NC = d.N * d.C;
  for (int64_t t = 1; t < d.T; ++t) std::copy(g, g + NC, g + t * NC);
}

// Fixed-order sum, so the result does not depend on the thread count.
double ordered_sum(const std::vector<double>& v) {
  double s = 0.0;
  for (double x : v) s += x;
  return s;
}

}  // namespace

double CrossEntropyLoss::forward_backward(const Tensor& y, const std::vector<int>& labels,
                                          Tensor* grad_y) {
  const Dims d = loss_detail::output_dims(y, type());
  loss_detail::check_labels(labels, d, type());
  time_mean(y, d, mean_);
  shape_grad(y, grad_y);
  row_loss_.resize(static_cast<size_t>(d.N));
  float* g = grad_y ? grad_y->data() : nullptr;
  const int64_t N = d.N, C = d.C;
  const double scale = 1.0 / (static_cast<double>(N) * static_cast<double>(d.T));
#pragma omp parallel for schedule(static) if (N * C > kParallelMin)
  for (int64_t n = 0; n < N; ++n) {
    row_loss_[static_cast<size_t>(n)] =
        ce_row(mean_.data() + n * C, C, labels[static_cast<size_t>(n)], smoothing_,
               g ? g + n * C : nullptr, scale);
  }
  if (g) broadcast_over_time(grad_y, d);
  return ordered_sum(row_loss_) / static_cast<double>(N);
}

double SquaredErrorLoss::forward_backward(const Tensor& y, const std::vector<int>& labels,
                                          Tensor* grad_y) {
  const Dims d = loss_detail::output_dims(y, type());
  loss_detail::check_labels(labels, d, type());
  time_mean(y, d, mean_);
  shape_grad(y, grad_y);
  row_loss_.resize(static_cast<size_t>(d.N));
  float* g = grad_y ? grad_y->data() : nullptr;
  const int64_t N = d.N, C = d.C;
  // mse: L = (1/(N C)) sum e^2, dL/dm = 2 e / (N C); sum_squares: L = (1/N) sum 0.5 e^2,
  // dL/dm = e / N. Both: L = a * sum e^2, dL/dm = 2 a e; and dL/dy[t] = dL/dm / T.
  const double a = kind_ == Kind::kMse ? 1.0 / (static_cast<double>(N) * static_cast<double>(C))
                                       : 0.5 / static_cast<double>(N);
  const double gscale = 2.0 * a / static_cast<double>(d.T);
#pragma omp parallel for schedule(static) if (N * C > kParallelMin)
  for (int64_t n = 0; n < N; ++n) {
    const double* m = mean_.data() + n * C;
    const int label = labels[static_cast<size_t>(n)];
    double s = 0.0;
    for (int64_t c = 0; c < C; ++c) {
      const double e = m[c] - (c == label ? 1.0 : 0.0);
      s += e * e;
      if (g) g[n * C + c] = static_cast<float>(gscale * e);
    }
    row_loss_[static_cast<size_t>(n)] = s;
  }
  if (g) broadcast_over_time(grad_y, d);
  return a * ordered_sum(row_loss_);
}

double TetLoss::forward_backward(const Tensor& y, const std::vector<int>& labels, Tensor* grad_y) {
  const Dims d = loss_detail::output_dims(y, type());
  loss_detail::check_labels(labels, d, type());
  shape_grad(y, grad_y);
  const int64_t T = d.T, N = d.N, C = d.C, rows = T * N;
  row_loss_.resize(static_cast<size_t>(rows));
  const float* py = y.data();
  float* g = grad_y ? grad_y->data() : nullptr;
  const double tn = static_cast<double>(T) * static_cast<double>(N);
  const double ce_w = (1.0 - lambda_) / tn;                      // weight of each row's CE
  const double mse_w = lambda_ / (tn * static_cast<double>(C));  // weight of each (y - phi)^2
  const double phi = phi_;
#pragma omp parallel for schedule(static) if (rows * C > kParallelMin)
  for (int64_t r = 0; r < rows; ++r) {
    const float* z = py + r * C;
    const int label = labels[static_cast<size_t>(r % N)];
    float* gr = g ? g + r * C : nullptr;
    const double ce = ce_row(z, C, label, smoothing_, gr, ce_w);
    double sq = 0.0;
    for (int64_t c = 0; c < C; ++c) {
      const double e = static_cast<double>(z[c]) - phi;
      sq += e * e;
      if (gr) gr[c] = static_cast<float>(static_cast<double>(gr[c]) + 2.0 * mse_w * e);
    }
    row_loss_[static_cast<size_t>(r)] = ce_w * ce + mse_w * sq;
  }
  return ordered_sum(row_loss_);
}

}  // namespace soma
