// Dense convolution through oneDNN's direct convolution kernels (the ones PyTorch uses on CPU).
//
// Why: im2col + GEMM (ops/conv2d.cpp) writes and reads a col matrix 9x the size of the input
// for a 3x3 kernel; oneDNN's JIT kernels convolve directly in a channel-blocked layout
// (nChw16c: 16 channels innermost) and run at the GEMM ceiling. Measured at 1 thread on
// gesture conv2 (64 -> 64, 32x32, 256 images): forward 188 GFLOP/s vs 140, backward (input and
// weight gradient) 180 vs 143, including the layout reorders (BENCHMARKS.md "Convolution").
//
// soma keeps its own [B, C, H, W] tensors; each call works in chunks of whole images (a
// function of the shape only, ~2 MiB of blocked input + output): per chunk, reorder the input
// to the blocked layout, convolve, reorder the result back. Chunks run
// in parallel on soma's threads and every oneDNN call is single-threaded, so results do not
// depend on the thread count: the weight gradient is summed per fixed group of chunks, and the
// groups are added in order. Primitives are built once per (geometry, chunk size) and cached.
//
// Used by conv2d_forward / conv2d_backward when conv2d_dnnl_applies: a oneDNN build, groups 1,
// input and output channels multiples of 16. First layers with fewer than 16 input channels
// (event frames, images) use it for the weight gradient only (conv2d_dnnl_weight_grad_applies):
// there oneDNN's weight gradient is 1.2-1.5x faster than im2col + GEMM, its input gradient
// 5-6x slower, and its forward faster on one first layer but 2.2x slower on another (measured
// on mnist-liaf, gesture and cifar conv1). Off with the environment variable SOMA_CONV=gemm (or
// conv2d_set_dnnl_enabled(false)): then every convolution takes soma's own paths.
#pragma once

#include <cstdint>

#include "soma/ops/conv2d.hpp"

namespace soma {

bool conv2d_dnnl_enabled();
void conv2d_set_dnnl_enabled(bool on);

// True when this build has oneDNN, the path is enabled and the geometry suits it.
bool conv2d_dnnl_applies(const Conv2dGeometry& g);
// The same for the weight gradient alone (also true for first layers: C < 16).
bool conv2d_dnnl_weight_grad_applies(const Conv2dGeometry& g);

// The same contracts as conv2d_forward / conv2d_backward (the bias gradient stays with
// conv2d_backward). They return false, having written nothing, when oneDNN has no kernel for
// the geometry; the caller then takes the GEMM path.
bool conv2d_forward_dnnl(const float* x, int64_t batch, const Conv2dGeometry& g,
                         const float* weight, const float* bias, float* y);
bool conv2d_backward_dnnl(const float* x, const float* grad_y, int64_t batch,
                          const Conv2dGeometry& g, const float* weight, float* grad_x,
                          float* grad_weight);

}  // namespace soma
