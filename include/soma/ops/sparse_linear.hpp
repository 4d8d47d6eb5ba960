// Spike-aware (activity-sparse) fully connected products: when the input x [M, I] of a linear
// layer is mostly zeros (binary spikes from a neuron layer, event frames, ReLU/LIAF outputs),
// only its nonzero entries are visited.
//
//   forward:  y[m, :] = b + sum_{i : x[m,i] != 0, ascending} x[m, i] W^T[i, :]
//   weight:   grad_W^T[i, :] += sum_{m : x[m,i] != 0, ascending} x[m, i] grad_y[m, :]
// (for binary spikes x[m, i] = 1 and each term is an exact copy of a weight row: a gather and
// adds, the multiplication by 1 is exact). The input gradient grad_x = grad_y W does not depend
// on x's sparsity and stays a dense gemm.
// The results equal the dense products up to float summation order (the dense gemm sums over i
// in its own blocked order): tests compare with a tolerance. Each output element is one sequential
// sum in a fixed order, the work is split over output columns (forward, weight gradient) and
// rows, so results do not depend on the thread count.
// Cache blocking: the output columns are cut into blocks whose slice of W^T [I, ob] (or grad_W^T)
// fits in about 256 KiB, so the rows gathered for every m stay in L2.
// Column blocks of 64 outputs: a row's accumulators live in four 16-float registers and the
// W^T [I, 64] slice (256 B per input) stays in L2 while every row m gathers from it.
// When to use it (measured, BENCHMARKS.md "Kernels", N-MNIST MLP shape 640x2312x800): the
// sparse forward wins up to density ~0.3 (2.5x at 0.1, 1.7x at 0.2), the sparse weight gradient
// up to ~0.2 (1.6x at 0.1, even at 0.2): thresholds 0.25 and 0.15.
#pragma once

#include <cstdint>
#include <vector>

#include "soma/tensor/allocator.hpp"

namespace soma {

// Forward product: sparse at or below this input density; weight gradient: at or below the
// second (the scatter-add of the weight gradient gains less than the gather of the forward).
inline constexpr double kSparseLinearMaxDensity = 0.25;
inline constexpr double kSparseWeightGradMaxDensity = 0.15;
inline constexpr int64_t kSparseLinearMinOutputs = 64;

// Columns per chunk of the CSR (see SparseRows): the forward's W^T chunk [128, 64] and the
// weight gradient's grad_y chunk [128 rows, 64] are 32 KiB, L1-resident.
inline constexpr int64_t kSparseLinearChunk = 128;

// The nonzero entries of a matrix [rows, cols], chunked CSR: the columns are cut into chunks of
// `chunk`, and the entries of (chunk c, row r) are index/value[begin(c, r) .. end(c, r)), column
// indices ascending; storage is chunk-major (all rows of chunk 0, then chunk 1, ...).
struct SparseRows {
  int64_t rows = 0, cols = 0, nnz = 0;
  int64_t chunk = 0, chunks = 0;
  ScratchArray<float> value;    // nnz values
  ScratchArray<int32_t> index;  // nnz column indices
  ScratchArray<int64_t> start;  // chunks * rows + 1 offsets

  bool filled = false;
  bool binary = false;  // every nonzero value is exactly 1 (spikes)

  double density() const { return rows * cols > 0 ? double(nnz) / double(rows * cols) : 0.0; }
  int64_t begin(int64_t c, int64_t r) const { return start[c * rows + r]; }
  int64_t end(int64_t c, int64_t r) const { return start[c * rows + r + 1]; }
};

// Fraction of nonzero entries of x[0..n) (one pass, parallel, exact count).
double nonzero_density(const float* x, int64_t n);

// The chunked CSR of x [M, I]. With max_density < 1 the nonzeros are counted first and, when
// their fraction exceeds max_density, nothing is filled: the result has filled == false (and
// nnz set), and the caller takes the dense path.
SparseRows sparse_rows(const float* x, int64_t m, int64_t in, double max_density = 1.0,
                       int64_t chunk = kSparseLinearChunk);

// x^T [I, M] as a chunked CSR (chunks of `chunk` of x's rows): a counting sort per chunk.
SparseRows transpose(const SparseRows& x, int64_t chunk = kSparseLinearChunk);

// y [M, O] = x W^T + b (b may be null), visiting only x's nonzeros. w is [O, I] as stored by the
// layer; it is transposed into a scratch block per 64 output columns.
void linear_forward_sparse(const SparseRows& x, const float* w, const float* b, int64_t out,
                           float* y);

// grad_w [O, I] += grad_y^T x, visiting only x's nonzeros (through x^T, built here with chunks
// of `chunk` rows of grad_y).
void linear_backward_weight_sparse(const SparseRows& x, const float* grad_y, int64_t out,
                                   float* grad_w, int64_t chunk = kSparseLinearChunk);

}  // namespace soma
