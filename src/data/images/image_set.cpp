#include "soma/data/images/image_set.hpp"

namespace soma {

void ImageSet::to_float(int64_t i, float* out) const {
  const uint8_t* src = image(i);
  const float scale = 1.0f / static_cast<float>(max_value);
  const int64_t n = image_numel();
  for (int64_t k = 0; k < n; ++k) out[k] = static_cast<float>(src[k]) * scale;
}

std::vector<int64_t> ImageSet::class_counts(int num_classes) const {
  std::vector<int64_t> counts(static_cast<size_t>(num_classes), 0);
  for (int l : labels)
    if (l >= 0 && l < num_classes) ++counts[static_cast<size_t>(l)];
  return counts;
}

}  // namespace soma
