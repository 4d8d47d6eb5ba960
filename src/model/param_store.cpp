#include "soma/model/param_store.hpp"

#include <cstring>

#include "soma/core/error.hpp"
#include "soma/core/rng.hpp"

namespace soma {
namespace {

// Segments start on 16-float (64-byte) boundaries so every view is aligned for SIMD kernels.
int64_t round_up16(int64_t n) { return (n + 15) / 16 * 16; }

}  // namespace

void ParamStore::declare_param(const std::string& layer, const ParamSpec& spec) {
  SOMA_ASSERT(!allocated_, "declare after allocate");
  Segment s{layer + "/" + spec.name, layer, spec.name, spec.shape, num_params_,
            spec.shape.numel(), spec.weight_decay, spec.init};
  SOMA_ASSERT(!find_param(s.name), "parameter declared twice: ", s.name);
  num_params_ += round_up16(s.size);
  params_.push_back(s);
}

void ParamStore::declare_buffer(const std::string& layer, const BufferSpec& spec) {
  SOMA_ASSERT(!allocated_, "declare after allocate");
  Segment s{layer + "/" + spec.name, layer, spec.name, spec.shape, num_buffers_,
            spec.shape.numel(), false, Init::constant(spec.init)};
  SOMA_ASSERT(!find_buffer(s.name), "buffer declared twice: ", s.name);
  num_buffers_ += round_up16(s.size);
  buffers_.push_back(s);
}

void ParamStore::allocate() {
  SOMA_ASSERT(!allocated_);
  values_ = alloc_floats(num_params_);
  grads_ = alloc_floats(num_params_);
  buffer_values_ = alloc_floats(num_buffers_);
  // Padding between segments stays zero forever (it takes part in all-reduces and norms).
  std::memset(values_.get(), 0, sizeof(float) * num_params_);
  std::memset(grads_.get(), 0, sizeof(float) * num_params_);
  std::memset(buffer_values_.get(), 0, sizeof(float) * num_buffers_);
  allocated_ = true;
}

void ParamStore::initialize(uint64_t seed) {
  SOMA_ASSERT(allocated_);
  Rng rng(seed, /*stream=*/0x5041524D);  // "PARM": init draws never share a stream with data
  for (const auto& s : params_) {
    Tensor v = value(s);
    apply_init(s.init, v, rng);
  }
  for (const auto& s : buffers_) buffer(s).fill(s.init.a);
}

std::vector<ParamView> ParamStore::param_views(const std::string& layer) const {
  std::vector<ParamView> v;
  for (const auto& s : params_)
    if (s.layer == layer) v.push_back({s.param, value(s), grad(s)});
  return v;
}

std::vector<BufferView> ParamStore::buffer_views(const std::string& layer) const {
  std::vector<BufferView> v;
  for (const auto& s : buffers_)
    if (s.layer == layer) v.push_back({s.param, buffer(s)});
  return v;
}

const ParamStore::Segment* ParamStore::find_param(const std::string& name) const {
  for (const auto& s : params_)
    if (s.name == name) return &s;
  return nullptr;
}

const ParamStore::Segment* ParamStore::find_buffer(const std::string& name) const {
  for (const auto& s : buffers_)
    if (s.name == name) return &s;
  return nullptr;
}

Tensor ParamStore::value(const Segment& s) const {
  SOMA_ASSERT(allocated_);
  return Tensor::view(values_, values_.get() + s.offset, s.shape);
}

Tensor ParamStore::grad(const Segment& s) const {
  SOMA_ASSERT(allocated_);
  return Tensor::view(grads_, grads_.get() + s.offset, s.shape);
}

Tensor ParamStore::buffer(const Segment& s) const {
  SOMA_ASSERT(allocated_);
  return Tensor::view(buffer_values_, buffer_values_.get() + s.offset, s.shape);
}

void ParamStore::zero_grads() {
  if (num_params_ > 0) std::memset(grads_.get(), 0, sizeof(float) * num_params_);
}

}  // namespace soma
