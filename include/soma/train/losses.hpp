// The built-in losses (see loss.hpp for the interface, shapes and YAML keys).
//
// Notation: y [T, N, C] network output, m[n] = (1/T) sum_t y[t, n] (a C-vector), l_n the label,
// e_n its one-hot vector, eps the label smoothing, q_n = (1 - eps) e_n + eps / C.
//
//   cross_entropy  L = (1/N) sum_n [ lse(m[n]) - sum_c q_n[c] m[n, c] ],
//                  lse(z) = max(z) + log sum_c exp(z_c - max(z))   (stable for any logit scale)
//                  dL/dm[n] = (softmax(m[n]) - q_n) / N
//                  With eps = 0 this is torch.nn.CrossEntropyLoss; with eps > 0 it matches its
//                  label_smoothing argument (uniform eps/C mass on every class, label included).
//   mse            L = 1/(N C) sum_{n,c} (m[n, c] - e_n[c])^2,   dL/dm = 2 (m - e) / (N C)
//                  (torch.nn.MSELoss(reduction='mean') on the one-hot target; STBP, Wu et al.,
//                  Front. Neurosci. 2018)
//   sum_squares    L = (1/N) sum_n 0.5 sum_c (m[n, c] - e_n[c])^2,   dL/dm = (m - e) / N
//                  (the SSE loss of WAGE, Wu et al., ICLR 2018)
//   tet            L = (1 - lambda) (1/T) sum_t CE(y[t], l)  +  lambda (1/(T N C)) sum (y - phi)^2
//                  with CE(y[t], l) the cross-entropy above on the un-averaged y[t] (mean over N).
//                  dL/dy[t, n] = (1 - lambda) (softmax(y[t, n]) - q_n) / (T N)
//                                + lambda 2 (y[t, n] - phi) / (T N C)
//                  Deng et al., "Temporal Efficient Training of Spiking Neural Network via
//                  Gradient Re-weighting", ICLR 2022. lambda defaults to 1e-3, the default of the
//                  common TET implementations (not re-checked against the paper's text); phi = 1
//                  is the paper's choice (V_th). lambda = 0 gives pure per-step CE. The MSE term
//                  averages over all T*N*C elements, as torch.nn.MSELoss on the whole output.
//                  Predictions still use argmax m.
#pragma once

#include <vector>

#include "soma/train/loss.hpp"

namespace soma {

class CrossEntropyLoss final : public Loss {
 public:
  explicit CrossEntropyLoss(double label_smoothing = 0.0) : smoothing_(label_smoothing) {}
  double forward_backward(const Tensor& y, const std::vector<int>& labels, Tensor* grad_y) override;
  std::string_view type() const override { return "cross_entropy"; }

 private:
  double smoothing_;
  std::vector<double> mean_, row_loss_;  // scratch [N*C], [N], kept between calls
};

// MSE (mean over N*C, `scale` = 1/(N*C)) and sum_squares (0.5 * sum over C, mean over N) differ
// only in the constant, so one class serves both.
class SquaredErrorLoss final : public Loss {
 public:
  enum class Kind { kMse, kSumSquares };
  explicit SquaredErrorLoss(Kind kind) : kind_(kind) {}
  double forward_backward(const Tensor& y, const std::vector<int>& labels, Tensor* grad_y) override;
  std::string_view type() const override { return kind_ == Kind::kMse ? "mse" : "sum_squares"; }

 private:
  Kind kind_;
  std::vector<double> mean_, row_loss_;
};

class TetLoss final : public Loss {
 public:
  TetLoss(double lambda, double phi, double label_smoothing)
      : lambda_(lambda), phi_(phi), smoothing_(label_smoothing) {}
  double forward_backward(const Tensor& y, const std::vector<int>& labels, Tensor* grad_y) override;
  std::string_view type() const override { return "tet"; }

 private:
  double lambda_, phi_, smoothing_;
  std::vector<double> row_loss_;  // [T*N]
};

}  // namespace soma
