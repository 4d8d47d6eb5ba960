// maxpool2d / avgpool2d: fixed-window 2-D pooling of every channel at every time step
// (ops/pool.hpp), folded over T*N*C planes.
//
//   x [T, N, C, H, W] -> y [T, N, C, Ho, Wo],  Ho = floor((H + 2 ph - kh) / sh) + 1
//   maxpool2d: y = max over the window (padding never wins); grad to the first argmax. Training
//              keeps each output's winner as its 1-byte offset in the window (kh * kw <= 256;
//              an int32 plane index for larger windows)
//   avgpool2d: y = mean over the kh*kw window, padding counted as zeros (count_include_pad)
//
// YAML: {type: maxpool2d | avgpool2d, kernel: k | [kh, kw] (required), stride: kernel,
//        padding: 0}   (padding <= kernel / 2, as in PyTorch)
#pragma once

#include <memory>
#include <vector>

#include "soma/core/config_node.hpp"
#include "soma/layers/layer.hpp"
#include "soma/ops/pool.hpp"

namespace soma {

class Pool2dLayer : public Layer {
 public:
  enum class Kind { kMax, kAvg };
  // geometry.h/w are ignored: the input size comes with each call.
  Pool2dLayer(Kind kind, const Pool2dGeometry& geometry);

  std::string_view type() const override { return kind_ == Kind::kMax ? "maxpool2d" : "avgpool2d"; }
  Shape output_shape(const Shape& in) const override;
  Tensor forward(const Tensor& x, RunContext& ctx) override;
  Tensor backward(const Tensor& grad_y, RunContext& ctx) override;
  bool recomputable() const override { return true; }
  // Max pooling over 2x2 windows with stride 2 and no padding (fusable into a neuron scan).
  bool is_max_2x2() const {
    return kind_ == Kind::kMax && geom_.kh == 2 && geom_.kw == 2 && geom_.sh == 2 &&
           geom_.sw == 2 && geom_.ph == 0 && geom_.pw == 0;
  }

 private:
  Pool2dGeometry geometry_for(const Shape& in) const;
  bool byte_offsets() const { return geom_.kh * geom_.kw <= 256; }
  void release_winners();

  Kind kind_;
  Pool2dGeometry geom_;
  Shape x_shape_;                // cache (training only)
  std::vector<uint8_t> argmax_u8_;  // cache for max: winner offset per output, in its window
  std::vector<int32_t> argmax_;     // the same as an index in the plane (windows > 256 values)
  bool cached_ = false;
  bool release_argmax_ = false;  // recomputed node: free argmax_ after backward
};

std::unique_ptr<Layer> make_maxpool2d(const ConfigNode& config, const std::vector<Shape>& in);
std::unique_ptr<Layer> make_avgpool2d(const ConfigNode& config, const std::vector<Shape>& in);

}  // namespace soma
