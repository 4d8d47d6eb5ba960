// NeuronLayer: the common body of the neuron layers (if, lif, plif, liaf, li).
//
// Multi-step: forward scans the whole window x [T, N, ...] (per-step shape [F] or [C, H, W], any
// rank) with ops/neuron_scan.hpp and returns y of the same shape; backward runs BPTT through the
// window. The membrane starts at v[-1] = v_reset in every forward, so nothing leaks between
// windows or batches. The maths (charge h = a v + b x + c, fire, reset, output) is in
// ops/neuron_scan.hpp; subclasses fix (a, b, c) per channel and the output kind.
//
// State split as in NEST: the subclass's config struct (from YAML, immutable), bound params
// (PLIF's w), derived constants (the charge coefficients a_, b_, c_ per channel), and cache_:
// h, the pre-reset membrane [T, N, ...] (float) kept in training for backward (spikes and v are
// recomputed from h), plus the input x when coefficient gradients are needed (PLIF). For the
// fused scan kinds (ops/neuron_scan.hpp neuron_scan_fused: LIF, IF, LIAF with ReLU) without
// coefficient gradients only the input x is kept (a handle) and backward replays h from it, so
// the training forward writes no h.
// With ctx.record_state the h trace is kept (in eval too) and returned by membrane().
#pragma once

#include <vector>

#include "soma/layers/layer.hpp"
#include "soma/ops/neuron_scan.hpp"
#include "soma/tensor/allocator.hpp"

namespace soma {

class NeuronLayer : public Layer {
 public:
  Shape output_shape(const Shape& in) const override;
  Tensor forward(const Tensor& x, RunContext& ctx) override;
  Tensor backward(const Tensor& grad_y, RunContext& ctx) override;
  // Drops everything from the previous window (cache and trace); v restarts at v_reset anyway.
  void reset_state() override;
  Tensor membrane() const override { return trace_; }

  // Inference of [norm ->] neuron [-> 2x2 max pool] in one pass (Model::forward fuses them in
  // eval). With scale/shift (one value per channel of the per-step input [C, ...]) the norm's
  // eval map u = scale_ch x + shift_ch goes into the charge, h = a v + (b scale_ch) x +
  // (c + b shift_ch), so the normalised tensor is never written (equal to norm-then-neuron up
  // to float rounding). With pool2x2 the output is max-pooled 2x2/2 on the fly
  // (ops/neuron_scan.hpp, bit-identical to a separate maxpool2d). Keeps nothing.
  Tensor forward_eval_fused(const Tensor& x, const std::vector<float>* scale,
                            const std::vector<float>* shift, bool pool2x2);
  // True when forward_eval_fused can pool: a fused scan kind on an even [C, H, W] input.
  bool can_fuse_maxpool2x2() const;
  // Training of neuron -> 2x2 max pool as one step (Model::forward pairs them): returns the
  // pooled output and keeps x (backward replays h) and the window winners (1 byte each);
  // backward_pooled takes dL/d(pooled output). Bit-identical to forward + maxpool2d and their
  // backwards, without the full-resolution spikes or their gradient ever written.
  bool can_fuse_maxpool2x2_training() const { return can_fuse_maxpool2x2() && !learns_coeffs(); }
  Tensor forward_train_pooled(const Tensor& x);
  Tensor backward_pooled(const Tensor& grad_pooled);
  const NeuronScanParams& scan_params() const { return scan_; }
  // The charge coefficients in use (PLIF: as of the last forward), one per channel.
  const std::vector<float>& coeff_a() const { return a_; }
  const std::vector<float>& coeff_b() const { return b_; }
  const std::vector<float>& coeff_c() const { return c_; }

 protected:
  // `in`: per-step input shape; `channels`: 1 for shared coefficients, else in[0].
  NeuronLayer(const NeuronScanParams& scan, const Shape& in, int64_t channels);

  // Sets all channels' coefficients to the same values.
  void set_coeffs(float a, float b, float c);
  // Called at the start of forward (PLIF recomputes a_, b_, c_ from w).
  virtual void update_coeffs() {}
  // True when backward must produce dL/d(a, b, c) (then add_coeff_grads is called).
  virtual bool learns_coeffs() const { return false; }
  virtual void add_coeff_grads(const std::vector<double>& /*ga*/, const std::vector<double>& /*gb*/,
                               const std::vector<double>& /*gc*/) {}

  NeuronScanParams scan_;
  Shape in_;
  int64_t channels_ = 1;
  std::vector<float> a_, b_, c_;

 private:
  ScanShape scan_shape(const Tensor& x) const;
  // Drops everything kept from the previous window (cache, trace, pooled winners).
  void clear_kept();
  // Coefficients expanded to one per input channel (the planes of a pooled scan), with an
  // optional norm map u = scale x + shift folded in; returns the shape over those channels.
  ScanShape plane_coeffs(const Tensor& x, const std::vector<float>* scale,
                         const std::vector<float>* shift, std::vector<float>& a,
                         std::vector<float>& b, std::vector<float>& c) const;

  struct Cache {
    Tensor h;  // [T, N, ...] pre-reset membrane (not kept when backward replays it from x)
    Tensor x;  // the input (a handle, not a copy): learns_coeffs() or replay
  };
  Cache cache_;
  Tensor trace_;
  ScratchArray<uint8_t> pooled_argmax_;  // forward_train_pooled: winner per pooled output
  int64_t pooled_count_ = 0;             // its length (0: no pooled forward kept)
};

}  // namespace soma
