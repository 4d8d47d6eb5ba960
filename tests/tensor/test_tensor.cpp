#include <catch2/catch.hpp>

#include <cstdint>

#include "soma/core/error.hpp"
#include "soma/tensor/tensor.hpp"

using soma::Shape;
using soma::Tensor;

TEST_CASE("Tensor storage is zeroed, aligned and shared by views", "[tensor]") {
  Tensor t(Shape{4, 3, 5});
  CHECK(t.numel() == 60);
  CHECK(reinterpret_cast<uintptr_t>(t.data()) % 64 == 0);
  for (int64_t i = 0; i < t.numel(); ++i) REQUIRE(t[i] == 0.f);
  Tensor row = t(2);
  CHECK(row.shape() == Shape{3, 5});
  row[0] = 7.f;
  CHECK(t[2 * 15] == 7.f);
  Tensor r = t.reshape(Shape{12, 5});
  CHECK(r.same_storage(t));
  CHECK(r[30] == 7.f);
  Tensor c = t.clone();
  c[30] = 1.f;
  CHECK(t[30] == 7.f);
  CHECK_THROWS_AS(t.reshape(Shape{7, 7}), soma::ShapeError);
}

TEST_CASE("Shape helpers", "[tensor]") {
  Shape s{10, 4, 2, 34, 34};
  CHECK(s.drop_front(2) == Shape{2, 34, 34});
  CHECK(s.numel_from(2) == 2 * 34 * 34);
  CHECK(Shape{2, 3}.prepend({5, 6}) == Shape{5, 6, 2, 3});
  CHECK(s.str() == "[10, 4, 2, 34, 34]");
  CHECK(s.dim(-1) == 34);
}
