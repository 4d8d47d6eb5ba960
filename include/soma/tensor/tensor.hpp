// Tensor: float32, contiguous, row-major, 64-byte aligned, reference-counted storage.
//
// Copying a Tensor copies the handle (both share the buffer, like a shared_ptr); clone() copies
// the data. A tensor may view a contiguous range of another's buffer (reshape, slice of the
// leading dimension, a parameter inside the flat ParamStore buffer); views keep the storage alive.
// There are no strides: every tensor is contiguous, so kernels can take raw pointers.
#pragma once

#include <cstdint>
#include <memory>

#include "soma/tensor/shape.hpp"

namespace soma {

class Tensor {
 public:
  Tensor() = default;
  // Zero-initialised.
  explicit Tensor(const Shape& shape);
  // Uninitialised: for outputs that a kernel overwrites completely.
  static Tensor empty(const Shape& shape);
  static Tensor full(const Shape& shape, float value);
  // A tensor over memory owned elsewhere (e.g. a ParamStore buffer); `owner` keeps it alive.
  static Tensor view(std::shared_ptr<float[]> owner, float* data, const Shape& shape);

  const Shape& shape() const { return shape_; }
  int rank() const { return shape_.rank(); }
  int64_t dim(int i) const { return shape_.dim(i); }
  int64_t numel() const { return shape_.numel(); }
  bool defined() const { return data_ != nullptr || shape_.rank() > 0; }

  float* data() { return data_; }
  const float* data() const { return data_; }
  float& operator[](int64_t i) { return data_[i]; }
  float operator[](int64_t i) const { return data_[i]; }

  // Same buffer, new shape with the same numel.
  Tensor reshape(const Shape& shape) const;
  // Rows [begin, end) of the leading dimension, sharing the buffer.
  Tensor slice(int64_t begin, int64_t end) const;
  // Row i of the leading dimension (rank drops by one), sharing the buffer.
  Tensor operator()(int64_t i) const;

  Tensor clone() const;
  void fill(float v);
  void zero() { fill(0.f); }
  void copy_from(const Tensor& src);  // same numel required
  bool same_storage(const Tensor& o) const { return storage_ == o.storage_; }

 private:
  std::shared_ptr<float[]> storage_;
  float* data_ = nullptr;
  Shape shape_;
};

// Allocates n floats, 64-byte aligned, uninitialised, from the caching allocator (allocator.hpp).
std::shared_ptr<float[]> alloc_floats(int64_t n);

}  // namespace soma
