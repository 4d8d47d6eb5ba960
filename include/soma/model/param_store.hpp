// ParamStore: every learnable parameter of a model in one flat value buffer and one flat
// gradient buffer, and every non-learned buffer (BN running statistics) in a third.
//
// Layers get views (Tensor) into these buffers in declaration order. Each parameter is a
// Segment with its full name "<layer>/<param>", its offset and size in the flat buffer and its
// options (weight decay on or off). Optimizers loop the flat array once per step, a distributed
// all-reduce is one call over grads(), and checkpoints write each segment as a named dataset.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "soma/layers/param.hpp"
#include "soma/tensor/tensor.hpp"

namespace soma {

class ParamStore {
 public:
  struct Segment {
    std::string name;   // "<layer>/<param>"
    std::string layer;  // "<layer>"
    std::string param;  // "<param>"
    Shape shape;
    int64_t offset = 0;
    int64_t size = 0;
    bool weight_decay = true;
    Init init;
  };

  // Declare everything first, then allocate() once; views are valid after allocate().
  void declare_param(const std::string& layer, const ParamSpec& spec);
  void declare_buffer(const std::string& layer, const BufferSpec& spec);
  void allocate();

  // Initialises every parameter by its Init from one seeded Rng (declaration order) and every
  // buffer to its initial value.
  void initialize(uint64_t seed);

  // Views for one layer, in its declaration order.
  std::vector<ParamView> param_views(const std::string& layer) const;
  std::vector<BufferView> buffer_views(const std::string& layer) const;

  const std::vector<Segment>& params() const { return params_; }
  const std::vector<Segment>& buffers() const { return buffers_; }
  const Segment* find_param(const std::string& name) const;
  const Segment* find_buffer(const std::string& name) const;

  int64_t num_params() const { return num_params_; }
  int64_t num_buffer_values() const { return num_buffers_; }
  float* values() { return values_.get(); }
  const float* values() const { return values_.get(); }
  float* grads() { return grads_.get(); }
  const float* grads() const { return grads_.get(); }
  float* buffer_values() { return buffer_values_.get(); }
  const float* buffer_values() const { return buffer_values_.get(); }

  // A view of one segment (value, gradient or buffer) as a tensor of its shape.
  Tensor value(const Segment& s) const;
  Tensor grad(const Segment& s) const;
  Tensor buffer(const Segment& s) const;

  void zero_grads();

 private:
  std::vector<Segment> params_, buffers_;
  int64_t num_params_ = 0, num_buffers_ = 0;
  std::shared_ptr<float[]> values_, grads_, buffer_values_;
  bool allocated_ = false;
};

}  // namespace soma
