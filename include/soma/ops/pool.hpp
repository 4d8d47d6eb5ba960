// 2-D pooling kernels over P independent planes (P = T*N*C), each [H, W] -> [Ho, Wo].
//
// Fixed windows (kernel kh x kw, stride sh x sw, zero/neg-inf padding ph x pw, floor mode):
//   Ho = floor((H + 2*ph - kh) / sh) + 1,  Wo likewise
//   max:  y[i, j] = max over the window of x (padding is -inf, never selected);
//         grad goes to the (first, row-major) argmax of each window; overlapping windows add
//   avg:  y[i, j] = sum over the window of x / (kh*kw)    (padding counts as zeros, PyTorch's
//         count_include_pad = true); grad_x gets grad_y / (kh*kw) in every window position
// Adaptive average (PyTorch's bins): output cell (i, j) averages rows
//   [floor(i*H/oh), ceil((i+1)*H/oh)) and columns [floor(j*W/ow), ceil((j+1)*W/ow)).
// Max pooling records its winners for backward in one of two forms: the index inside the plane
// (int32, any window), or the offset inside the window, (r - r0) * kw + (c - c0) with (r0, c0)
// the window's top-left corner counting padding (uint8, kh * kw <= 256: 4x less memory, what
// the maxpool2d layer keeps). For 2x2 windows of stride 2 without padding both directions are
// single passes: the forward reads each input once and writes y and the winners; the backward
// from offsets writes every element of grad_x exactly once (winner 0 + grad_y, others 0, no
// separate zero fill).
// Planes run in parallel; each plane is serial, so results do not depend on the thread count.
#pragma once

#include <cstdint>

namespace soma {

struct Pool2dGeometry {
  int64_t h = 0, w = 0;
  int64_t kh = 1, kw = 1;
  int64_t sh = 1, sw = 1;
  int64_t ph = 0, pw = 0;
  int64_t h_out() const { return (h + 2 * ph - kh) / sh + 1; }
  int64_t w_out() const { return (w + 2 * pw - kw) / sw + 1; }
};

// argmax (may be null) receives, per output, the index of the winner inside its plane.
void maxpool2d_forward(const float* x, int64_t planes, const Pool2dGeometry& g, float* y,
                       int32_t* argmax);
// argmax (may be null) receives, per output, the winner's offset inside its window
// (needs g.kh * g.kw <= 256).
void maxpool2d_forward(const float* x, int64_t planes, const Pool2dGeometry& g, float* y,
                       uint8_t* argmax);
// grad_x is overwritten (from either form of the winners).
void maxpool2d_backward(const float* grad_y, const int32_t* argmax, int64_t planes,
                        const Pool2dGeometry& g, float* grad_x);
void maxpool2d_backward(const float* grad_y, const uint8_t* argmax, int64_t planes,
                        const Pool2dGeometry& g, float* grad_x);

// One pair of input rows (r0, r1: 2 wo values each) of the 2x2/2 max pool: y[0..wo) and,
// unless argmax is null, each window's winner offset 0..3 (row-major, first equal to the max),
// exactly as maxpool2d's byte form. Used by the pooled neuron scans (ops/neuron_scan.hpp).
// padded (rows of at most 16 windows; ignored for longer rows): the caller's buffers are padded
// so the row runs without masked loads and stores (slow on some CPUs, AMD Zen 4): r0 and r1 are
// readable for 32 values, y and argmax writable for 16 (what lands beyond wo is garbage).
void maxpool2x2_row(const float* r0, const float* r1, int64_t wo, float* y, uint8_t* argmax,
                    bool padded = false);
// Its backward: every element of r0[0..2 wo) and r1[0..2 wo) written (winner 0 + g, others +0).
// padded (wo <= 16): g and argmax readable for 16 values, r0 and r1 writable for 32 each; r0's
// excess lands in r1 = r0 + 2 wo, written right after it, and r1's beyond it.
void maxpool2x2_grad_row(const float* g, const uint8_t* argmax, int64_t wo, float* r0, float* r1,
                         bool padded = false);

void avgpool2d_forward(const float* x, int64_t planes, const Pool2dGeometry& g, float* y);
// grad_x is overwritten.
void avgpool2d_backward(const float* grad_y, int64_t planes, const Pool2dGeometry& g,
                        float* grad_x);

void adaptive_avgpool2d_forward(const float* x, int64_t planes, int64_t h, int64_t w, int64_t oh,
                                int64_t ow, float* y);
// grad_x is overwritten.
void adaptive_avgpool2d_backward(const float* grad_y, int64_t planes, int64_t h, int64_t w,
                                 int64_t oh, int64_t ow, float* grad_x);

}  // namespace soma
