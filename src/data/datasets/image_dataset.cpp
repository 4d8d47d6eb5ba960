#include "soma/data/datasets/image_dataset.hpp"

#include "soma/core/error.hpp"

namespace soma {

ImageDataset::ImageDataset(std::shared_ptr<const ImageSet> images, StaticEncoding enc,
                           int64_t time_steps, int num_classes, std::string name)
    : images_(std::move(images)), enc_(enc), T_(time_steps), num_classes_(num_classes),
      name_(std::move(name)) {
  SOMA_CHECK(T_ > 0, name_, ": time_steps must be > 0, got ", T_);
  SOMA_CHECK_AS(IoError, static_cast<int64_t>(images_->labels.size()) == images_->count,
                images_->source, ": ", images_->count, " images but ", images_->labels.size(),
                " labels");
  for (size_t i = 0; i < images_->labels.size(); ++i) {
    const int l = images_->labels[i];
    SOMA_CHECK_AS(IoError, l >= 0 && l < num_classes_, images_->source, ": label of sample ", i,
                  " is ", l, ", expected 0..", num_classes_ - 1);
  }
}

Shape ImageDataset::sample_shape() const {
  return Shape{T_, images_->channels, images_->height, images_->width};
}

void ImageDataset::get(int64_t i, float* out, Rng& rng) const {
  SOMA_ASSERT(i >= 0 && i < images_->count, "sample ", i, " of ", images_->count);
  const int64_t M = images_->image_numel();
  // Decode into the last step of `out`; encode_static allows exactly this aliasing.
  float* last = out + (T_ - 1) * M;
  images_->to_float(i, last);
  encode_static(enc_, last, M, T_, out, rng);
}

std::string ImageDataset::describe() const {
  return str_cat(name_, ": ", images_->count, " images ", images_->image_shape().str(), ", T=", T_,
                 ", encoding ", enc_.describe());
}

}  // namespace soma
