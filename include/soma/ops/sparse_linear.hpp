// Spike-aware (activity-sparse) fully connected products: when the input x [M, I] of a linear
// layer is mostly zeros (binary spikes from a neuron layer, event frames, ReLU/LIAF outputs),
// only its nonzero entries are visited.
//
//   forward:  y[m, :] = b + sum_{i : x[m,i] != 0, ascending} x[m, i] W^T[i, :]
//   weight:   grad_W^T[i, :] += sum_{m : x[m,i] != 0, ascending} x[m, i] grad_y[m, :]
// Both are one kernel, a row gather C = A B with A sparse (x for the forward, x^T for the
// weight gradient) and B dense (W^T, grad_y): for each row of A, the B rows named by its
// nonzeros are summed in registers (no stores in the inner loop). For binary spikes every value
// is 1 and the term is B's row itself (no multiplication; x 1 is exact, so both paths give the
// same floats). The input gradient grad_x = grad_y W does not depend on x's sparsity and stays
// a dense gemm.
// Blocking: outputs in blocks of 64 columns (a row's accumulators are four 16-float registers);
// A's columns in chunks of 128 (the chunked CSR below), so the B slice a chunk gathers from,
// [128, 64] floats = 32 KiB, stays in L1 while every row of A visits it; the partial sums of
// C are carried from chunk to chunk through memory (exactly the same float additions, in the
// same order, as one running sum). The weight gradient packs grad_y's 64 columns and builds
// x^T (a counting sort of the CSR per 128 rows) first, and adds grad_W^T's block to grad_W
// through 16 x 16 register transposes (the forward transposes W the same way).
// The results equal the dense products up to float summation order (the dense gemm sums in its
// own blocked order): tests compare with a tolerance. Each output element is one sequential sum
// in a fixed order (ascending i, resp. m) and the work is split over output column blocks, so
// results do not depend on the thread count.
// When to use it (measured, BENCHMARKS.md "Spike-aware linear", 1 thread, CSR and x^T builds
// included): N-MNIST fc1 640x2312x800 forward 2.7x the dense gemm at density 0.2 and still
// 1.4x at 0.5; weight gradient 2.0x at 0.2, break-even at ~0.5; gesture fc1 256x1024x512
// forward 3.6x at 0.2, 1.7x at 0.5; weight gradient 1.6x at 0.2, break-even at ~0.4; narrow
// layers (MNIST-LIAF fc1 512x3136x128, gesture fc2 256x512x110): forward 1.8x resp. 1.6x at
// 0.2 and 1.1x resp. break-even (~0.4) at 0.5, weight gradient break-even at ~0.25 resp.
// ~0.15 (x^T's build is not amortised over many column blocks). Thresholds: forward 0.5;
// weight gradient 0.35 for >= 512 outputs, else 0.15. Without AVX-512 (no compress, no
// register transposes) the crossovers are lower.
#pragma once

#include <cstdint>
#include <vector>

#include "soma/tensor/allocator.hpp"

namespace soma {

// Forward product: sparse at or below this input density. Weight gradient: at or below the
// second for layers with >= kSparseWeightGradWideOutputs outputs, else the third (building x^T
// costs about as much as gathering 2-4 column blocks, so narrow layers gain less).
inline constexpr double kSparseLinearMaxDensity = 0.5;
inline constexpr double kSparseWeightGradMaxDensity = 0.35;
inline constexpr double kSparseWeightGradNarrowMaxDensity = 0.15;
inline constexpr int64_t kSparseWeightGradWideOutputs = 512;

inline double sparse_weight_grad_max_density(int64_t out) {
  return out >= kSparseWeightGradWideOutputs ? kSparseWeightGradMaxDensity
                                             : kSparseWeightGradNarrowMaxDensity;
}
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
