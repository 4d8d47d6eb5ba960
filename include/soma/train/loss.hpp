// Loss: the scalar objective on the network output, its gradient, and class predictions.
//
// y is the network output, time-major [T, N, C] (T may be 1 after a readout layer; a rank-2
// [N, C] tensor is taken as T = 1). Unless a loss says otherwise it is computed on the output
// averaged over time,
//   m[n, c] = (1/T) sum_t y[t, n, c],      so   dL/dy[t, n, c] = dL/dm[n, c] / T.
// Every loss returns the mean over the batch (N), accumulated in double, and when grad_y is not
// null fills dL/dy with y's shape (reusing *grad_y's buffer when its shape already matches, so
// the trainer allocates it once).
//
// Types (YAML `train.loss`, either a name or a map with `type:`; see losses.hpp for the maths):
//   cross_entropy  softmax cross-entropy of m; keys: label_smoothing (0.0, PyTorch semantics)
//   mse            mean squared error of m against the one-hot label, mean over N*C elements
//                  (torch.nn.MSELoss; the STBP loss of Wu et al. 2018)
//   sum_squares    0.5 * sum_c (m - onehot)^2, mean over N (the WAGE "SSE" loss)
//   tet            Temporal Efficient Training (Deng et al., ICLR 2022): per-time-step CE plus a
//                  MSE pull towards a constant phi; keys: lambda (1e-3), phi (1.0),
//                  label_smoothing (0.0)
//   train: {loss: cross_entropy}            train: {loss: {type: tet, lambda: 1.0e-3, phi: 1.0}}
// A missing `loss` key means cross_entropy. Labels must lie in [0, C): anything else throws a
// ShapeError naming the label and its batch index.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "soma/core/config_node.hpp"
#include "soma/tensor/tensor.hpp"

namespace soma {

class Loss {
 public:
  virtual ~Loss() = default;
  // Returns the mean loss over the batch; if grad_y != nullptr fills dL/dy (same shape as y).
  virtual double forward_backward(const Tensor& y, const std::vector<int>& labels,
                                  Tensor* grad_y) = 0;
  virtual std::string_view type() const = 0;
};

// Builds the loss from the `train` map (reads its key `loss`; a map form is checked for unknown
// keys). Throws ConfigError for an unknown type or a bad value.
std::unique_ptr<Loss> make_loss(const ConfigNode& train);

// The loss type names accepted by make_loss.
std::vector<std::string_view> loss_types();

// Predicted classes: argmax over C of the time-mean m[n, :] (the lowest index wins a tie).
// y is [T, N, C] or [N, C]; returns N labels. The second form reuses `out`.
std::vector<int> predict_classes(const Tensor& y);
void predict_classes(const Tensor& y, std::vector<int>& out);

// Internal helpers shared by the losses (exposed for tests and custom losses).
namespace loss_detail {
struct Dims {
  int64_t T = 1, N = 0, C = 0;
};
// Reads [T, N, C] (or [N, C] as T = 1) from y; throws ShapeError otherwise.
Dims output_dims(const Tensor& y, std::string_view loss_type);
// Checks labels.size() == N and every label in [0, C); throws ShapeError naming the bad one.
void check_labels(const std::vector<int>& labels, const Dims& d, std::string_view loss_type);
}  // namespace loss_detail

}  // namespace soma
