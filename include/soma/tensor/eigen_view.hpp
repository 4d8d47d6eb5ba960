// Eigen views over tensor memory: the only bridge between Tensor and Eigen.
//
// Include this only from ops/ (and tests). Maps are row-major to match the tensor layout.
// Products into existing outputs use .noalias(); never store an Eigen expression in `auto`.
#pragma once

#include <Eigen/Core>

#include "soma/tensor/tensor.hpp"

namespace soma {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixMap = Eigen::Map<RowMatrix, Eigen::Aligned64>;
using ConstMatrixMap = Eigen::Map<const RowMatrix, Eigen::Aligned64>;
using VectorMap = Eigen::Map<Eigen::VectorXf>;
using ConstVectorMap = Eigen::Map<const Eigen::VectorXf>;

// Alignment holds for tensor starts; sub-views (slices) may not be aligned, so maps over raw
// pointers use the unaligned form.
using UMatrixMap = Eigen::Map<RowMatrix>;
using ConstUMatrixMap = Eigen::Map<const RowMatrix>;

inline UMatrixMap as_matrix(float* p, int64_t rows, int64_t cols) { return {p, rows, cols}; }
inline ConstUMatrixMap as_matrix(const float* p, int64_t rows, int64_t cols) {
  return {p, rows, cols};
}
// A tensor seen as [dim0 * ... * dim(k-1), rest]: e.g. [T, N, F] with k = 2 is [T*N, F].
inline UMatrixMap as_matrix(Tensor& t, int k) {
  return {t.data(), t.shape().numel() / t.shape().numel_from(k), t.shape().numel_from(k)};
}
inline ConstUMatrixMap as_matrix(const Tensor& t, int k) {
  return {t.data(), t.shape().numel() / t.shape().numel_from(k), t.shape().numel_from(k)};
}

}  // namespace soma
