// Shape: the dimensions of a tensor, up to kMaxRank = 6, stored inline (no allocation).
//
// Layout rule: row-major, the last dimension is contiguous. soma's activations are time-major,
// [T, N, C, H, W] or [T, N, F]; a layer's "per-step shape" drops the leading T and N.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace soma {

class Shape {
 public:
  static constexpr int kMaxRank = 6;

  Shape() = default;
  Shape(std::initializer_list<int64_t> dims);
  explicit Shape(const std::vector<int64_t>& dims);

  int rank() const { return rank_; }
  int64_t operator[](int i) const { return d_[i]; }
  int64_t& operator[](int i) { return d_[i]; }
  // Dimension counted from the end when i < 0 (dim(-1) is the last).
  int64_t dim(int i) const;
  int64_t numel() const;
  bool empty() const { return rank_ == 0; }

  // Leading dims [a, b) and everything from i on; used to fold [T, N, ...] into [T*N, ...].
  Shape drop_front(int k) const;
  Shape prepend(std::initializer_list<int64_t> lead) const;
  std::vector<int64_t> to_vector() const { return {d_.begin(), d_.begin() + rank_}; }
  // Product of dims [from, rank).
  int64_t numel_from(int from) const;

  bool operator==(const Shape& o) const;
  bool operator!=(const Shape& o) const { return !(*this == o); }
  std::string str() const;  // "[2, 34, 34]"

 private:
  std::array<int64_t, kMaxRank> d_{};
  int rank_ = 0;
};

}  // namespace soma
