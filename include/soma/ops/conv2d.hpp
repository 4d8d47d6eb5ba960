// 2-D convolution (cross-correlation, as in PyTorch) over a folded batch of B = T*N images:
// through oneDNN's direct convolution kernels when conv2d_dnnl_applies (ops/conv2d_dnnl.hpp:
// groups 1, channel counts multiples of 16, a oneDNN build), else by im2col + gemm (below).
//
//   x [B, C, H, W], weight [O, C/g, kh, kw] (stored [O, C/g*kh*kw]), bias [O], y [B, O, Ho, Wo]
//   Ho = floor((H + 2*ph - dh*(kh-1) - 1) / sh) + 1   (same for Wo with w-parameters)
//   y[n, o, i, j] = b[o] + sum_{c in group(o), a, e} W[o, c, a, e] *
//                                         x[n, g(o)*C/g + c, i*sh - ph + a*dh, j*sw - pw + e*dw]
//   (x is zero outside [0, H) x [0, W]; g = groups, O and C divisible by g)
//
// Layout: per image and group, output channels sit on the rows of the product:
//   y_g [O/g, Ho*Wo] = W_g [O/g, K] * col_g [K, Ho*Wo],   K = C/g*kh*kw
// (measured ~7x faster than pixels-on-rows, /work/shared/bench/ceiling/eigen_ceiling.cpp).
// col rows are ordered (c, a, e), matching the weight layout. 1x1 kernels with stride 1 and no
// padding skip im2col (col = x). With stride 1 and Wo == W ("same" width) the rows of a band lie
// back to back in x as in col: im2col is one memcpy per (c, a, e) and band plus zeroed padding
// columns, and the backward's col2im adds each (c, a, e) row as one contiguous run (its padding
// entries zeroed first in the scratch col; bit-identical to the row-by-row col2im_rows_add).
// Direct forward (conv2d_direct_applies: groups 1, stride 1, K = C*kh*kw <= 28, Wo >= 16, e.g.
// 2-channel event frames): no im2col, per image a zero-padded copy and 4 output channels x 64
// pixels of accumulators per step over the K taps (measured 1.5x faster than im2col + gemm for
// K = 18 on 64x64 images; the backward keeps im2col + gemm).
// Tiling (conv2d_tiling): the col matrix is built per tile of about tile_bytes (512 KiB), so it
// is still in L2 when the gemm reads it: a tile is a band of output rows of one image when one
// image's col matrix is larger, else several whole images side by side ([K, images*P]; the
// product goes through a [O, images*P] temporary, and for the backward grad_y is gathered the
// same way), which turns the tiny per-image products of deep layers (P = 16..64) into one
// reasonable gemm. Tiles run in parallel (OpenMP); each tile's products are serial. The tiling is
// a function of the geometry and batch only.
//
// Backward:
//   grad_W_g += sum_n grad_y_g(n) col_g(n)^T   accumulated per fixed chunk of images, the chunk
//               partials then summed in chunk order: independent of the thread count
//   grad_b   += sum_{n, i, j} grad_y            (double lanes, fixed order; both paths)
//   grad_x    = col2im(W_g^T grad_y_g)          (per image, in parallel)
#pragma once

#include <cstdint>
#include <vector>

namespace soma {

struct Conv2dGeometry {
  int64_t c = 0, h = 0, w = 0;  // input channels and size
  int64_t o = 0;                // output channels
  int64_t kh = 1, kw = 1;
  int64_t sh = 1, sw = 1;
  int64_t ph = 0, pw = 0;
  int64_t dh = 1, dw = 1;
  int64_t groups = 1;

  int64_t h_out() const { return (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1; }
  int64_t w_out() const { return (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1; }
  // Rows of one group's col matrix (= weight columns).
  int64_t k_group() const { return c / groups * kh * kw; }
  bool is_pointwise() const {
    return kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0;
  }
};

inline constexpr int64_t kConvTileBytes = int64_t(512) << 10;

// images > 1: tiles of that many whole images; else tiles of `rows` output rows of one image.
struct ConvTiling {
  int64_t images = 1;
  int64_t rows = 0;
};
ConvTiling conv2d_tiling(const Conv2dGeometry& g, int64_t batch,
                         int64_t tile_bytes = kConvTileBytes);

// col [C*kh*kw, Ho*Wo] from one image x [C, H, W] (zeros where the window leaves the image).
void im2col(const float* x, const Conv2dGeometry& g, float* col);
// The adjoint: x [C, H, W] += scatter of col [C*kh*kw, Ho*Wo].
void col2im_add(const float* col, const Conv2dGeometry& g, float* x);
// The same for output rows [r0, r1) only: col [C*kh*kw, (r1-r0)*Wo] with row stride ldcol.
void im2col_rows(const float* x, const Conv2dGeometry& g, int64_t r0, int64_t r1, float* col,
                 int64_t ldcol);
void col2im_rows_add(const float* col, int64_t ldcol, const Conv2dGeometry& g, int64_t r0,
                     int64_t r1, float* x);

// True when conv2d_forward runs as a direct convolution instead of im2col + gemm: groups 1,
// stride 1, K = C*kh*kw <= 28 (e.g. event frames C = 2 or RGB C = 3 with 3x3 kernels), output
// rows >= 16 wide. (The backward keeps im2col + gemm.)
bool conv2d_direct_applies(const Conv2dGeometry& g);

// bias may be null. tile_bytes: see "Tiling" (tests pass small values to exercise every case).
void conv2d_forward(const float* x, int64_t batch, const Conv2dGeometry& g, const float* weight,
                    const float* bias, float* y, int64_t tile_bytes = kConvTileBytes);

// grad_x is overwritten; grad_weight and grad_bias accumulate. Any of the three may be null.
void conv2d_backward(const float* x, const float* grad_y, int64_t batch, const Conv2dGeometry& g,
                     const float* weight, float* grad_x, float* grad_weight, float* grad_bias,
                     int64_t tile_bytes = kConvTileBytes);

}  // namespace soma
