// ConfusionMatrix: counts of (label, prediction) pairs, accumulated over batches, and the
// scores derived from it. Rows are true labels, columns predictions:
//   matrix()[label * C + pred] = number of samples of class `label` predicted as `pred`
//   accuracy          = trace / total                      (0 when nothing was added)
//   recall[c]         = M[c, c] / sum_p M[c, p]            (0 for a class with no samples)
//   precision[c]      = M[c, c] / sum_l M[l, c]            (0 for a class never predicted)
//   balanced_accuracy = mean of recall over the classes that have samples
// Counts are integers, so merging matrices (e.g. across MPI ranks) is exact in any order.
// Predictions usually come from soma::predict_classes (train/loss.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace soma {

class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(int num_classes);

  // Throws ShapeError when pred or label is outside [0, C).
  void add(int pred, int label);
  // Element-wise over equal-length vectors.
  void add(const std::vector<int>& preds, const std::vector<int>& labels);
  void merge(const ConfusionMatrix& other);  // same C required
  void reset();

  int num_classes() const { return c_; }
  int64_t total() const { return total_; }
  int64_t correct() const;
  double accuracy() const;
  int64_t count(int label, int pred) const { return m_[static_cast<size_t>(label) * c_ + pred]; }
  const std::vector<int64_t>& matrix() const { return m_; }  // [C * C], row = label
  std::vector<int64_t> support() const;                      // samples per true class
  std::vector<double> recall() const;
  std::vector<double> precision() const;
  double balanced_accuracy() const;

 private:
  int c_;
  int64_t total_ = 0;
  std::vector<int64_t> m_;
};

}  // namespace soma
