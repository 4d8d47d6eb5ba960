// ImageSet: a labelled set of static images as read from disk, pixels kept as uint8.
//
//   pixels  [count, channels, height, width] uint8, row-major (MNIST: [N, 1, 28, 28])
//   labels  [count] class ids 0..num_classes-1
//   max_value  the pixel value that means "full intensity" (MNIST 255, sklearn digits 16);
//              to_float() maps pixels to [0, 1] as pixel / max_value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "soma/tensor/shape.hpp"

namespace soma {

struct ImageSet {
  int64_t count = 0;
  int64_t channels = 1;
  int64_t height = 0;
  int64_t width = 0;
  int max_value = 255;
  std::vector<uint8_t> pixels;
  std::vector<int> labels;
  std::string source;  // file(s) it came from, for messages

  int64_t image_numel() const { return channels * height * width; }
  Shape image_shape() const { return Shape{channels, height, width}; }
  const uint8_t* image(int64_t i) const { return pixels.data() + i * image_numel(); }
  // Writes image i as floats in [0, 1] (pixel / max_value) to out[image_numel()].
  void to_float(int64_t i, float* out) const;
  // Number of images per class, for classes 0..num_classes-1 (labels outside are not counted).
  std::vector<int64_t> class_counts(int num_classes) const;
};

}  // namespace soma
