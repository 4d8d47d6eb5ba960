#include "soma/tensor/shape.hpp"

#include "soma/core/error.hpp"

namespace soma {

Shape::Shape(std::initializer_list<int64_t> dims) : Shape(std::vector<int64_t>(dims)) {}

Shape::Shape(const std::vector<int64_t>& dims) {
  SOMA_CHECK_AS(ShapeError, static_cast<int>(dims.size()) <= kMaxRank, "a shape has at most ",
                kMaxRank, " dimensions, got ", dims.size());
  for (int64_t v : dims) SOMA_CHECK_AS(ShapeError, v >= 0, "negative dimension ", v);
  rank_ = static_cast<int>(dims.size());
  for (int i = 0; i < rank_; ++i) d_[i] = dims[i];
}

int64_t Shape::dim(int i) const {
  const int j = i < 0 ? rank_ + i : i;
  SOMA_ASSERT(j >= 0 && j < rank_, "dim ", i, " of ", str());
  return d_[j];
}

int64_t Shape::numel() const { return numel_from(0); }

int64_t Shape::numel_from(int from) const {
  int64_t n = 1;
  for (int i = from; i < rank_; ++i) n *= d_[i];
  return n;
}

Shape Shape::drop_front(int k) const {
  SOMA_ASSERT(k >= 0 && k <= rank_);
  Shape s;
  s.rank_ = rank_ - k;
  for (int i = 0; i < s.rank_; ++i) s.d_[i] = d_[i + k];
  return s;
}

Shape Shape::prepend(std::initializer_list<int64_t> lead) const {
  std::vector<int64_t> v(lead);
  for (int i = 0; i < rank_; ++i) v.push_back(d_[i]);
  return Shape(v);
}

bool Shape::operator==(const Shape& o) const {
  if (rank_ != o.rank_) return false;
  for (int i = 0; i < rank_; ++i)
    if (d_[i] != o.d_[i]) return false;
  return true;
}

std::string Shape::str() const {
  std::string s = "[";
  for (int i = 0; i < rank_; ++i) {
    if (i) s += ", ";
    s += std::to_string(d_[i]);
  }
  return s + "]";
}

}  // namespace soma
