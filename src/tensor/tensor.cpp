#include "soma/tensor/tensor.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

#include "soma/core/error.hpp"
#include "soma/tensor/allocator.hpp"

namespace soma {

std::shared_ptr<float[]> alloc_floats(int64_t n) {
  void* p = cached_alloc(static_cast<size_t>(n > 0 ? n : 0) * sizeof(float));
  return std::shared_ptr<float[]>(static_cast<float*>(p), [](float* q) { cached_free(q); });
}

Tensor::Tensor(const Shape& shape) : Tensor(empty(shape)) { zero(); }

Tensor Tensor::empty(const Shape& shape) {
  Tensor t;
  t.storage_ = alloc_floats(shape.numel());
  t.data_ = t.storage_.get();
  t.shape_ = shape;
  return t;
}

Tensor Tensor::full(const Shape& shape, float value) {
  Tensor t = empty(shape);
  t.fill(value);
  return t;
}

Tensor Tensor::view(std::shared_ptr<float[]> owner, float* data, const Shape& shape) {
  Tensor t;
  t.storage_ = std::move(owner);
  t.data_ = data;
  t.shape_ = shape;
  return t;
}

Tensor Tensor::reshape(const Shape& shape) const {
  SOMA_CHECK_AS(ShapeError, shape.numel() == numel(), "cannot reshape ", shape_.str(), " to ",
                shape.str());
  Tensor t = *this;
  t.shape_ = shape;
  return t;
}

Tensor Tensor::slice(int64_t begin, int64_t end) const {
  SOMA_ASSERT(rank() >= 1 && begin >= 0 && begin <= end && end <= shape_[0], "slice [", begin, ", ",
              end, ") of ", shape_.str());
  Tensor t = *this;
  t.shape_[0] = end - begin;
  t.data_ = data_ + begin * shape_.numel_from(1);
  return t;
}

Tensor Tensor::operator()(int64_t i) const {
  Tensor t = slice(i, i + 1);
  t.shape_ = shape_.drop_front(1);
  return t;
}

Tensor Tensor::clone() const {
  Tensor t = empty(shape_);
  if (numel() > 0) std::memcpy(t.data_, data_, sizeof(float) * numel());
  return t;
}

void Tensor::fill(float v) {
  const int64_t n = numel();
  for (int64_t i = 0; i < n; ++i) data_[i] = v;
}

void Tensor::copy_from(const Tensor& src) {
  SOMA_ASSERT(src.numel() == numel(), "copy ", src.shape().str(), " into ", shape_.str());
  if (numel() > 0) std::memmove(data_, src.data_, sizeof(float) * numel());
}

}  // namespace soma
