#include <catch2/catch.hpp>

#include "soma/core/error.hpp"
#include "soma/metrics/confusion.hpp"

using namespace soma;

TEST_CASE("confusion matrix counts and scores are exact", "[metrics][confusion]") {
  ConfusionMatrix cm(3);
  // labels: 0 0 0 1 1 2 ; preds: 0 1 0 1 2 2
  cm.add({0, 1, 0, 1, 2, 2}, {0, 0, 0, 1, 1, 2});
  CHECK(cm.total() == 6);
  CHECK(cm.correct() == 4);
  CHECK(cm.accuracy() == 4.0 / 6.0);
  CHECK(cm.matrix() == std::vector<int64_t>{2, 1, 0,  //
                                            0, 1, 1,  //
                                            0, 0, 1});
  CHECK(cm.count(1, 2) == 1);
  CHECK(cm.support() == std::vector<int64_t>{3, 2, 1});
  CHECK(cm.recall() == std::vector<double>{2.0 / 3.0, 0.5, 1.0});
  CHECK(cm.precision() == std::vector<double>{1.0, 0.5, 0.5});
  CHECK(cm.balanced_accuracy() == Approx((2.0 / 3.0 + 0.5 + 1.0) / 3.0));

  ConfusionMatrix other(3);
  other.add(2, 2);
  cm.merge(other);
  CHECK(cm.total() == 7);
  CHECK(cm.count(2, 2) == 2);
  cm.reset();
  CHECK(cm.total() == 0);
  CHECK(cm.accuracy() == 0.0);
}

TEST_CASE("confusion matrix: absent classes and bad input", "[metrics][confusion]") {
  ConfusionMatrix cm(4);
  cm.add(0, 0);
  cm.add(0, 1);
  CHECK(cm.recall() == std::vector<double>{1.0, 0.0, 0.0, 0.0});
  CHECK(cm.balanced_accuracy() == 0.5);  // classes 2, 3 have no samples and are left out
  CHECK_THROWS_WITH(cm.add(0, 4), Catch::Contains("label 4 is outside [0, 4)"));
  CHECK_THROWS_AS(cm.add(-1, 0), ShapeError);
  CHECK_THROWS_AS(cm.add(std::vector<int>{0}, std::vector<int>{0, 1}), ShapeError);
  CHECK_THROWS_AS(cm.merge(ConfusionMatrix(3)), ShapeError);
  CHECK_THROWS(ConfusionMatrix(0));
}
