#include "soma/layers/neurons/neuron_layer.hpp"

#include "soma/core/error.hpp"

namespace soma {

NeuronLayer::NeuronLayer(const NeuronScanParams& scan, const Shape& in, int64_t channels)
    : scan_(scan), in_(in), channels_(channels), a_(channels), b_(channels), c_(channels) {
  SOMA_ASSERT(channels >= 1 && (channels == 1 || (in.rank() >= 1 && in[0] == channels)),
              "channels ", channels, " for input ", in.str());
}

Shape NeuronLayer::output_shape(const Shape& in) const {
  SOMA_CHECK_AS(ShapeError, in == in_, type(), " layer '", name(),
                "' was built for per-step shape ", in_.str(), ", got ", in.str());
  return in;
}

void NeuronLayer::set_coeffs(float a, float b, float c) {
  std::fill(a_.begin(), a_.end(), a);
  std::fill(b_.begin(), b_.end(), b);
  std::fill(c_.begin(), c_.end(), c);
}

ScanShape NeuronLayer::scan_shape(const Tensor& x) const {
  SOMA_CHECK_AS(ShapeError, x.rank() >= 2 && x.shape().drop_front(2) == in_, type(), " layer '",
                name(), "': expected input [T, N] + ", in_.str(), ", got ", x.shape().str());
  ScanShape s;
  s.T = x.dim(0);
  s.N = x.dim(1);
  s.C = channels_;
  s.S = in_.numel() / channels_;
  return s;
}

Tensor NeuronLayer::forward(const Tensor& x, RunContext& ctx) {
  const ScanShape s = scan_shape(x);
  update_coeffs();
  clear_kept();
  Tensor y = Tensor::empty(x.shape());
  // Training with a fused scan kind keeps only the input (backward replays h from it); h is
  // written when something else needs it (coefficient gradients, state recording).
  const bool replay = ctx.training() && neuron_scan_fused(scan_) && !learns_coeffs();
  const bool keep_h = (ctx.training() && !replay) || ctx.record_state;
  Tensor h = keep_h ? Tensor::empty(x.shape()) : Tensor();
  neuron_scan_forward(scan_, s, {a_.data(), b_.data(), c_.data()}, x.data(), y.data(),
                      keep_h ? h.data() : nullptr);
  if (ctx.training()) {
    if (replay) {
      cache_.x = x;
    } else {
      cache_.h = h;
      if (learns_coeffs()) cache_.x = x;
    }
  }
  if (ctx.record_state) trace_ = h;
  return y;
}

bool NeuronLayer::can_fuse_maxpool2x2() const {
  return in_.rank() == 3 && neuron_scan_maxpool2x2_fusable(scan_, in_[1], in_[2]);
}

ScanShape NeuronLayer::plane_coeffs(const Tensor& x, const std::vector<float>* scale,
                                    const std::vector<float>* shift, std::vector<float>& a,
                                    std::vector<float>& b, std::vector<float>& c) const {
  ScanShape s = scan_shape(x);
  const int64_t C = in_.rank() >= 1 ? in_[0] : 1;
  SOMA_ASSERT((scale == nullptr) == (shift == nullptr) &&
                  (!scale || (static_cast<int64_t>(scale->size()) == C && shift->size() == scale->size())),
              type(), " '", name(), "': affine for ", C, " channels expected");
  a.resize(C);
  b.resize(C);
  c.resize(C);
  for (int64_t ch = 0; ch < C; ++ch) {
    const int64_t k = channels_ == 1 ? 0 : ch;
    a[ch] = a_[k];
    b[ch] = scale ? b_[k] * (*scale)[ch] : b_[k];
    c[ch] = shift ? c_[k] + b_[k] * (*shift)[ch] : c_[k];
  }
  s.C = C;
  s.S = in_.numel() / C;
  return s;
}

Tensor NeuronLayer::forward_eval_fused(const Tensor& x, const std::vector<float>* scale,
                                       const std::vector<float>* shift, bool pool2x2) {
  SOMA_ASSERT(!pool2x2 || can_fuse_maxpool2x2(), type(), " '", name(), "': cannot pool ",
              in_.str());
  update_coeffs();
  clear_kept();
  std::vector<float> a, b, c;
  const ScanShape s = plane_coeffs(x, scale, shift, a, b, c);
  const ChargeCoeffs k{a.data(), b.data(), c.data()};
  if (!pool2x2) {
    Tensor y = Tensor::empty(x.shape());
    neuron_scan_forward(scan_, s, k, x.data(), y.data(), nullptr);
    return y;
  }
  Tensor y = Tensor::empty(Shape{x.dim(0), x.dim(1), in_[0], in_[1] / 2, in_[2] / 2});
  neuron_scan_forward_maxpool2x2(scan_, s, k, in_[1], in_[2], x.data(), y.data());
  return y;
}

Tensor NeuronLayer::forward_train_pooled(const Tensor& x) {
  SOMA_ASSERT(can_fuse_maxpool2x2_training(), type(), " '", name(), "': cannot pool ", in_.str());
  update_coeffs();
  clear_kept();
  std::vector<float> a, b, c;
  const ScanShape s = plane_coeffs(x, nullptr, nullptr, a, b, c);
  Tensor y = Tensor::empty(Shape{x.dim(0), x.dim(1), in_[0], in_[1] / 2, in_[2] / 2});
  pooled_argmax_ = ScratchArray<uint8_t>(y.numel());
  pooled_count_ = y.numel();
  neuron_scan_forward_maxpool2x2(scan_, s, {a.data(), b.data(), c.data()}, in_[1], in_[2],
                                 x.data(), y.data(), pooled_argmax_.data());
  cache_.x = x;
  return y;
}

Tensor NeuronLayer::backward_pooled(const Tensor& grad_pooled) {
  SOMA_ASSERT(cache_.x.defined() && pooled_count_ > 0, "pooled backward of '", name(),
              "' without a pooled training forward");
  const Tensor& x = cache_.x;
  SOMA_CHECK_AS(ShapeError, grad_pooled.numel() == pooled_count_,
                type(), " layer '", name(), "': pooled gradient ", grad_pooled.shape().str(),
                " does not match the forward");
  std::vector<float> a, b, c;
  const ScanShape s = plane_coeffs(x, nullptr, nullptr, a, b, c);
  Tensor gx = Tensor::empty(x.shape());
  neuron_scan_backward_maxpool2x2_from_input(scan_, s, {a.data(), b.data(), c.data()}, in_[1],
                                             in_[2], x.data(), pooled_argmax_.data(),
                                             grad_pooled.data(), gx.data());
  clear_kept();
  return gx;
}

Tensor NeuronLayer::backward(const Tensor& grad_y, RunContext& /*ctx*/) {
  const Tensor& kept = cache_.h.defined() ? cache_.h : cache_.x;
  SOMA_ASSERT(kept.defined(), "backward of '", name(), "' without a training forward");
  SOMA_CHECK_AS(ShapeError, grad_y.shape() == kept.shape(), type(), " layer '", name(),
                "': grad_y ", grad_y.shape().str(), " does not match the forward output ",
                kept.shape().str());
  const ScanShape s = scan_shape(grad_y);
  Tensor gx = Tensor::empty(grad_y.shape());
  const ChargeCoeffs k{a_.data(), b_.data(), c_.data()};
  if (!cache_.h.defined()) {
    neuron_scan_backward_from_input(scan_, s, k, cache_.x.data(), grad_y.data(), gx.data());
  } else if (learns_coeffs()) {
    std::vector<double> ga(channels_, 0.0), gb(channels_, 0.0), gc(channels_, 0.0);
    const ChargeCoeffGrads g{ga.data(), gb.data(), gc.data()};
    neuron_scan_backward(scan_, s, k, cache_.h.data(), grad_y.data(), gx.data(),
                         cache_.x.data(), &g);
    add_coeff_grads(ga, gb, gc);
  } else {
    neuron_scan_backward(scan_, s, k, cache_.h.data(), grad_y.data(), gx.data());
  }
  cache_ = {};  // consumed
  return gx;
}

void NeuronLayer::reset_state() { clear_kept(); }

void NeuronLayer::clear_kept() {
  cache_ = {};
  trace_ = {};
  pooled_argmax_ = {};
  pooled_count_ = 0;
}

}  // namespace soma
