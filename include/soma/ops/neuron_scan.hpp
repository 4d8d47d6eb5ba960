// Fused neuron scans over a whole time window: charge, fire, reset (and their BPTT backward) in
// one pass over T per block of elements. Used by every layer in layers/neurons/.
//
// Per element, t = 0..T-1, with v[-1] = v_reset (the state never leaks between windows):
//   charge   h[t] = a v[t-1] + b x[t] + c            (a, b, c per channel, see below)
//   fire     s[t] = H(h[t] - v_threshold), H(0) = 1   or primitive(h[t] - v_threshold)
//            when spike_primitive (surrogate.hpp)
//   reset    hard: v[t] = h[t] (1 - s[t]) + v_reset s[t]
//            soft: v[t] = h[t] - v_threshold s[t]
//            none: v[t] = h[t]                        (LI: no fire, no reset)
//   output   spike:    y[t] = s[t]
//            analog:   y[t] = act(h[t] - activation_shift)     (LIAF; s only drives the reset)
//            membrane: y[t] = h[t]                             (LI)
// The neuron types are affine charges (SpikingJelly neuron.py conventions, r = 1/tau):
//   IF a = 1, b = 1, c = 0;  LIF decay_input a = 1 - r, b = r, c = r v_reset;
//   LIF no decay_input a = 1 - r, b = 1, c = r v_reset;  STBP decay k: a = k, b = 1, c = 0.
//
// Backward (t = T-1..0, g_v = dL/dv[t] from the future, 0 at T-1), z = h[t] - v_threshold:
//   dL/dh[t] = gy[t] dy/dh + g_v dv/dh
//     dy/dh = sg'(z) (spike) | act'(h - shift) (analog, exact) | 1 (membrane)
//     dv/dh = (1 - s) + (v_reset - h) sg'(z) (hard) | 1 - v_threshold sg'(z) (soft) | 1 (none)
//     with detach_reset the sg'(z) terms of dv/dh are dropped (the spike is a constant there).
//   dL/dx[t] = b dL/dh[t];  g_v for t-1 = a dL/dh[t]
//   coefficient grads (optional, PLIF): dL/da += dL/dh v[t-1], dL/db += dL/dh x[t], dL/dc += dL/dh
// What backward needs is h (float, [T, E]); s is recomputed from h exactly (the same compare
// or primitive as in forward), and v[t-1] from h[t-1], so spikes and v are not cached.
// For the fused kinds (neuron_scan_fused: spike or ReLU output, Heaviside fire, hard/soft
// reset) backward can instead start from the input x: each block of elements replays its
// forward (the same instructions, so the same h bit for bit) into an L2-resident scratch
// [T, block] and runs the backward from there. Training then keeps x (a handle on the previous
// layer's output, which exists anyway) and the forward writes no h: one full-size write pass
// less, and no h buffer.
//
// Layout: x, y, h, grad_y, grad_x are [T, N, C, S] contiguous (S = product of the per-step dims
// after the channel one; C = 1 for scalar coefficients). Work is split into fixed blocks of
// kScanBlock elements of one channel, OpenMP over blocks; each block keeps its state in stack
// arrays (no allocations per step). Coefficient gradients are summed per block in double and
// then over blocks in a fixed order, so results do not depend on the thread count.
#pragma once

#include <cstdint>

#include "soma/ops/activation.hpp"
#include "soma/ops/surrogate.hpp"

namespace soma {

enum class ResetMode { kHard, kSoft, kNone };
enum class NeuronOutput { kSpike, kAnalog, kMembrane };

inline constexpr int64_t kScanBlock = 2048;

struct NeuronScanParams {
  float v_threshold = 1.f;
  float v_reset = 0.f;
  ResetMode reset = ResetMode::kHard;
  bool detach_reset = false;
  bool spike_primitive = false;  // fire with surrogate.primitive(z) instead of H(z)
  Surrogate surrogate;
  NeuronOutput output = NeuronOutput::kSpike;
  Activation activation = Activation::kRelu;          // kAnalog only (ops/activation.hpp)
  float negative_slope = kLeakyReluDefaultSlope;      // leaky_relu
  float activation_shift = 0.f;                       // v_threshold when threshold_related
};

// [T, N, C, S]: T steps, N samples, C coefficient channels, S elements per channel.
struct ScanShape {
  int64_t T = 0, N = 0, C = 1, S = 0;
  int64_t per_step() const { return N * C * S; }
};

// h = a v + b x + c; each pointer holds C values.
struct ChargeCoeffs {
  const float* a = nullptr;
  const float* b = nullptr;
  const float* c = nullptr;
};

// dL/da, dL/db, dL/dc per channel ([C] each, double); the scan ADDS into them.
struct ChargeCoeffGrads {
  double* a = nullptr;
  double* b = nullptr;
  double* c = nullptr;
};

// y [T, E]; h [T, E] receives the pre-reset membrane when non-null (training, traces).
void neuron_scan_forward(const NeuronScanParams& p, const ScanShape& shape,
                         const ChargeCoeffs& k, const float* x, float* y, float* h);

// True for the kinds with a fused single-pass loop (and neuron_scan_backward_from_input).
bool neuron_scan_fused(const NeuronScanParams& p);

// neuron -> 2x2 max pooling (stride 2, no padding) in one pass, for the fused kinds: each block
// of 2-row pairs of one [H, W] plane is scanned into an L1 buffer and pooled from there, so the
// full-resolution output is never written. shape.S = H * W per channel (shape.C channels, one
// coefficient each); y [T, N, C, H/2, W/2]; argmax (may be null: inference) receives each
// window's winner offset 0..3 (row-major, first of equal values), as maxpool2d's byte form.
// Bit-identical to neuron_scan_forward followed by maxpool2d. Needs
// neuron_scan_maxpool2x2_fusable.
bool neuron_scan_maxpool2x2_fusable(const NeuronScanParams& p, int64_t height, int64_t width);
void neuron_scan_forward_maxpool2x2(const NeuronScanParams& p, const ScanShape& shape,
                                    const ChargeCoeffs& k, int64_t height, int64_t width,
                                    const float* x, float* y, uint8_t* argmax = nullptr);
// Its backward, from the forward's input x: grad_y is the gradient of the pooled output
// [T, N, C, H/2, W/2], grad_x [T, N, C, H, W] is overwritten. Bit-identical to maxpool2d's
// backward followed by neuron_scan_backward_from_input; the full-resolution gradient of the
// spikes only exists per block in L1.
void neuron_scan_backward_maxpool2x2_from_input(const NeuronScanParams& p, const ScanShape& shape,
                                                const ChargeCoeffs& k, int64_t height,
                                                int64_t width, const float* x,
                                                const uint8_t* argmax, const float* grad_y,
                                                float* grad_x);

// grad_x [T, E] is overwritten. x and coeff_grads are needed only for coefficient gradients
// (pass nullptr for both otherwise).
void neuron_scan_backward(const NeuronScanParams& p, const ScanShape& shape,
                          const ChargeCoeffs& k, const float* h, const float* grad_y,
                          float* grad_x, const float* x = nullptr,
                          const ChargeCoeffGrads* coeff_grads = nullptr);

// The same result as neuron_scan_backward (bit for bit) from the forward's input x [T, E]
// instead of h; only for neuron_scan_fused(p), without coefficient gradients.
void neuron_scan_backward_from_input(const NeuronScanParams& p, const ScanShape& shape,
                                     const ChargeCoeffs& k, const float* x, const float* grad_y,
                                     float* grad_x);

}  // namespace soma
