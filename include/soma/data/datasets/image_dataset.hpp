// ImageDataset: static images (an ImageSet in memory) encoded into T steps on every get().
//
// Sample i = encode_static(enc, pixels_i / max_value), shape [T, C, H, W]: `direct` repeats the
// image, `rate` draws Bernoulli spikes from the sample's Rng, `latency` fires once per pixel
// (see encoders/static_encoder.hpp). Datasets: mnist, fashion_mnist ([T, 1, 28, 28], /255) and
// digits ([T, 1, 8, 8], /16).
#pragma once

#include <memory>
#include <string>

#include "soma/data/dataset.hpp"
#include "soma/data/encoders/static_encoder.hpp"
#include "soma/data/images/image_set.hpp"

namespace soma {

class ImageDataset : public Dataset {
 public:
  ImageDataset(std::shared_ptr<const ImageSet> images, StaticEncoding enc, int64_t time_steps,
               int num_classes, std::string name);
  int64_t size() const override { return images_->count; }
  Shape sample_shape() const override;
  int num_classes() const override { return num_classes_; }
  int label(int64_t i) const override { return images_->labels[static_cast<size_t>(i)]; }
  void get(int64_t i, float* out, Rng& rng) const override;
  std::string describe() const override;
  const ImageSet& images() const { return *images_; }

 private:
  std::shared_ptr<const ImageSet> images_;
  StaticEncoding enc_;
  int64_t T_;
  int num_classes_;
  std::string name_;
};

}  // namespace soma
