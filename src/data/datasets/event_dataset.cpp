#include "soma/data/datasets/event_dataset.hpp"

#include "soma/core/error.hpp"

namespace soma {

std::vector<int64_t> EventSet::class_counts(int num_classes) const {
  std::vector<int64_t> counts(static_cast<size_t>(num_classes), 0);
  for (int l : labels)
    if (l >= 0 && l < num_classes) ++counts[static_cast<size_t>(l)];
  return counts;
}

EventDataset::EventDataset(std::shared_ptr<const EventSet> set, FrameOptions frames,
                           int64_t time_steps, int num_classes, std::string name)
    : EventDataset(std::move(set), frames, time_steps, num_classes, std::move(name), {}, {}, false) {}

EventDataset::EventDataset(std::shared_ptr<const EventSet> set, FrameOptions frames,
                           int64_t time_steps, int num_classes, std::string name,
                           EventTransforms filters, EventTransforms transforms, bool train)
    : set_(std::move(set)), frames_(frames), filters_(std::move(filters)),
      transforms_(std::move(transforms)), train_(train), T_(time_steps), num_classes_(num_classes),
      name_(std::move(name)) {
  SOMA_CHECK(T_ > 0, name_, ": time_steps must be > 0, got ", T_);
  SOMA_ASSERT(set_->samples.size() == set_->labels.size());
  SOMA_CHECK(set_->width > 0 && set_->height > 0, name_, ": unknown sensor size");
  for (size_t i = 0; i < set_->labels.size(); ++i) {
    const int l = set_->labels[i];
    SOMA_CHECK_AS(IoError, l >= 0 && l < num_classes_, set_->source, ": label of sample ", i,
                  " is ", l, ", expected 0..", num_classes_ - 1);
  }
  out_w_ = set_->width;
  out_h_ = set_->height;
  transforms_.output_size(out_w_, out_h_);
}

Shape EventDataset::sample_shape() const {
  const Shape fs = frames_.frame_shape(out_w_, out_h_);
  if (out_h_ == 1 && fs[0] == 1) return Shape{T_, fs[2]};  // 1-D sensor (SHD): [T, channels]
  return Shape{T_, fs[0], fs[1], fs[2]};
}

void EventDataset::get(int64_t i, float* out, Rng& rng) const {
  SOMA_ASSERT(i >= 0 && i < size(), "sample ", i, " of ", size());
  try {
    const Events& raw = set_->samples[static_cast<size_t>(i)];
    if (filters_.empty() && transforms_.empty()) {
      integrate_frames(raw, frames_, T_, set_->width, set_->height, out);
      return;
    }
    Events ev = raw;
    ev.width = static_cast<uint16_t>(set_->width);
    ev.height = static_cast<uint16_t>(set_->height);
    filters_.apply(ev, rng, true);
    transforms_.apply(ev, rng, train_);
    integrate_frames(ev, frames_, T_, out_w_, out_h_, out);
  } catch (Error& e) {
    if (!set_->files.empty()) e.add_context(set_->files[static_cast<size_t>(i)]);
    throw;
  }
}

std::string EventDataset::describe() const {
  std::string s = str_cat(name_, ": ", size(), " recordings ", set_->width, "x", set_->height,
                          ", T=", T_, ", frames ", frames_.describe());
  if (!filters_.empty()) s += str_cat(", filters [", filters_.describe(), "]");
  if (!transforms_.empty())
    s += str_cat(train_ ? ", transforms [" : ", eval transforms (crops centred) [",
                 transforms_.describe(), "]");
  return s;
}

}  // namespace soma
