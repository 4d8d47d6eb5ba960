// Spike-aware (activity-sparse) 2-D convolution: when the input x [B, C, H, W] of a conv layer
// is mostly zeros (binary spikes of a LIF layer, sparse event frames), the forward product and
// the weight gradient visit only its nonzero entries (ops/conv2d.hpp has the dense im2col + gemm
// path and the geometry; here groups == 1, any kernel, stride, padding, dilation).
//
// The input is listed per pixel (SparsePixels: for every image n and input pixel (iy, ix) the
// channels c with x[n, c, iy, ix] != 0, ascending, and their values). With the weights
// transposed per block of 64 output channels to Wt[a, e, c, 0..64) = W[o0 + .., c, a, e]:
//
//   forward (a gather per output pixel, 64 accumulators in registers):
//     y[n, o0.., i, j] = b[o0..] + sum_{a, e in order; (iy, ix) = (i sh - ph + a dh, j sw - pw + e dw)
//                                     inside the image; c active at (n, iy, ix), ascending}
//                                  x[n, c, iy, ix] * Wt[a, e, c, 0..64)
//     With dilation 1 (dw == 1) the loop runs kernel row by kernel row (a outer, so that
//     Wt[a], kw*C*64 floats, stays in cache) over a channels-last accumulator of the image: the
//     taps (a, 0..kw) of an output pixel read kw adjacent input pixels, whose entries are one
//     contiguous run of the listing (the entries store slot = ix*C + c, so the weight row of an
//     entry is Wt[a] + (slot - ix0*C)*64, ix0 = the run's first tapped column): one loop per
//     kernel row instead of one per tap.
//   weight gradient, plane path (stride 1, dilation 1; the input also listed per plane (n, c)):
//     per image and block, grad_y is stored channels-last with a zero border (G); then
//       grad_Wt[a, e, c, 0..64) += sum_{p active in plane (n, c)} x[n, c, p] * G[pixel p - (a, e)]
//     summed in registers for 3 taps e at a time (3 adjacent G rows per active pixel) and added
//     once per plane: no scatter, no per-output-pixel loops;
//   weight gradient, other geometries (a scatter-add of grad_y's channels-last rows):
//     grad_Wt[a, e, c, 0..64) += sum_{n, i, j in order; a, e; c active at the tapped input pixel}
//                                  x[n, c, iy, ix] * grad_y[n, o0.., i, j]
// For binary spikes every term is a weight row (or a grad_y row) added: a gather and adds.
// The input gradient grad_x = col2im(W^T grad_y) and grad_b do not depend on x's sparsity and
// stay on the dense path (conv2d_backward with x = grad_weight = null).
//
// Results equal the dense path up to float summation order (tests compare with a tolerance).
// Thread-count invariance: the forward is parallel over images (one image = one sequential
// computation); the weight gradient is accumulated per fixed chunk of images (as the dense path:
// min(B, 8) chunks of consecutive images) and the chunk partials summed in chunk order.
//
// When to use it: see the thresholds below (3x3 convs of the benchmark workloads, 1 thread).
#pragma once

#include <cstdint>

#include "soma/ops/conv2d.hpp"
#include "soma/tensor/allocator.hpp"

namespace soma {

// `auto` thresholds (measured on the benchmark machine with the 3x3 padding-1 layers of the
// workloads, thread CPU time at 1 thread: BENCHMARKS.md "Spike-aware convolution", Round 4):
//   forward: density <= kSparseConvMaxDensity with >= kSparseConvMinChannels input channels
//     (C = 32 at 14% density: the forward alone about breaks even with the listing, 1.2x without
//     it, and the listing is shared with the weight gradient; below 32 channels unmeasured);
//   weight gradient, plane path (stride 1, dilation 1; see conv2d_backward_weight_sparse):
//     density <= kSparseConvWeightGradMaxDensity, any batch (2.4-3.9x at 14%, 2.2-2.8x at 20%,
//     1.6x at 30%, for 16 and 160 images);
//   weight gradient, other geometries (the scatter path): density <= 0.1 and batches of
//     >= kSparseConvWeightGradMinImages images (its per-pixel scatter wins only there).
// The weight gradient can only be sparse when the forward was (it reuses its listing).
inline constexpr double kSparseConvMaxDensity = 0.25;
inline constexpr int64_t kSparseConvMinChannels = 32;
inline constexpr double kSparseConvWeightGradMaxDensity = 0.25;
inline constexpr double kSparseConvScatterWeightGradMaxDensity = 0.1;
inline constexpr int64_t kSparseConvWeightGradMinImages = 64;

// The density up to which `auto` takes the spike-aware forward for this geometry (< 0: never).
double sparse_conv2d_forward_max_density(const Conv2dGeometry& g);
// The density up to which `auto` takes the spike-aware weight gradient (< 0: never).
double sparse_conv2d_weight_grad_max_density(const Conv2dGeometry& g, int64_t batch);
// True when the weight gradient of this geometry runs plane by plane (needs planes listed).
bool sparse_conv2d_plane_weight_grad(const Conv2dGeometry& g);

// The nonzeros of x [B, C, H, W] listed per input pixel r = n*H*W + iy*W + ix (row r of the
// channels-last view [B*H*W, C]); row r's entries are [start[r], start[r + 1]).
struct SparsePixels {
  int64_t batch = 0, channels = 0, h = 0, w = 0, nnz = 0;
  ScratchArray<float> value;     // nnz values, row by row
  ScratchArray<int32_t> slot;    // ix*C + c (their column in the row [W*C] of the channels-last
                                 // input image), c ascending within a pixel
  ScratchArray<int64_t> start;   // batch*h*w + 1 offsets
  bool filled = false;
  // The same nonzeros listed per input plane (n, c) (for the weight gradient), when asked for:
  // plane (n, c)'s entries are [plane_start[n*C + c], plane_start[n*C + c + 1]), pixels
  // p = iy*W + ix ascending. Image n's entries occupy the same range as in the pixel listing.
  ScratchArray<float> plane_value;
  ScratchArray<int32_t> plane_pixel;
  ScratchArray<int64_t> plane_start;  // batch*channels + 1 offsets
  bool planes = false;

  int64_t size() const { return batch * channels * h * w; }
  double density() const { return size() > 0 ? double(nnz) / double(size()) : 0.0; }
};

// Spike-aware products support groups == 1 only (any kernel, stride, padding, dilation).
bool sparse_conv2d_supported(const Conv2dGeometry& g);

// Fraction of nonzeros of x [B, image_size] estimated from at most `samples` images spread
// evenly over the batch (exact when batch <= samples): a cheap pre-check before listing.
double sampled_density(const float* x, int64_t batch, int64_t image_size, int64_t samples = 8);

// The per-pixel lists of x [B, C, H, W]. The nonzeros are counted first; when their fraction
// exceeds max_density nothing is listed (filled == false, nnz set) and the caller goes dense.
// When it is also <= planes_max_density the per-plane lists are filled too (same pass).
SparsePixels sparse_pixels(const float* x, int64_t batch, const Conv2dGeometry& g,
                           double max_density = 1.0, double planes_max_density = 1.0);

// y [B, O, Ho, Wo] = conv(x, W) + b (b may be null), visiting only x's nonzeros. weight is
// [O, C, kh, kw] as stored by the layer. g.h, g.w must match x's listing.
void conv2d_forward_sparse(const SparsePixels& x, const Conv2dGeometry& g, const float* weight,
                           const float* bias, float* y);

// grad_weight [O, C, kh, kw] += the weight gradient for grad_y [B, O, Ho, Wo], visiting only x's
// nonzeros. Plane path (x.planes and stride 1, dilation 1): per image and block of 64 outputs,
// grad_y is stored channels-last with a zero border (G), and for each input plane c and kernel
// row a the G rows of taps (a, 0..kw) at the plane's active pixels are summed in registers
// (up to 3 taps x 64 outputs at once: a run of 3 adjacent 64-float rows per active pixel), then
// added once to grad_Wt[a, e, c, :]; no scatter. Other geometries: per output pixel, grad_y's
// 64-float row is scatter-added into grad_Wt[a, e, c] of every active tapped input.
void conv2d_backward_weight_sparse(const SparsePixels& x, const Conv2dGeometry& g,
                                   const float* grad_y, float* grad_weight);

}  // namespace soma
