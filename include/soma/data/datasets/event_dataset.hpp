// EventDataset: event recordings held in memory (decoded once), integrated into frames on get().
//
// Sample i = integrate_frames(transforms(filters(events_i)), frames, T, width', height'):
// shape [T, P, H', W'] (see frames.hpp), or [T, W'] for a 1-D sensor (height 1, e.g. SHD) with
// merged polarity. The sensor size is fixed per dataset (N-MNIST 34 x 34) so every sample has the
// same shape; an event outside it is an error. `filters` run on every split; `transforms` are
// the training augmentation (event_transforms.hpp): applied with train = true on the training
// split, and with train = false (center crops only) elsewhere. Both draw from the sample's Rng.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "soma/data/dataset.hpp"
#include "soma/data/event_transforms.hpp"
#include "soma/data/events.hpp"
#include "soma/data/frames.hpp"

namespace soma {

// Decoded recordings of one split with their labels and the files they came from.
struct EventSet {
  std::vector<Events> samples;
  std::vector<int> labels;
  std::vector<std::string> files;
  int64_t width = 0;
  int64_t height = 0;
  std::string source;  // root folder / list file, for messages
  std::vector<int64_t> class_counts(int num_classes) const;
};

class EventDataset : public Dataset {
 public:
  EventDataset(std::shared_ptr<const EventSet> set, FrameOptions frames, int64_t time_steps,
               int num_classes, std::string name);
  // With filters (every split) and transforms (train: augmentation; else center crops only).
  EventDataset(std::shared_ptr<const EventSet> set, FrameOptions frames, int64_t time_steps,
               int num_classes, std::string name, EventTransforms filters,
               EventTransforms transforms, bool train);
  int64_t size() const override { return static_cast<int64_t>(set_->samples.size()); }
  Shape sample_shape() const override;
  int num_classes() const override { return num_classes_; }
  int label(int64_t i) const override { return set_->labels[static_cast<size_t>(i)]; }
  void get(int64_t i, float* out, Rng& rng) const override;
  std::string describe() const override;
  const EventSet& events() const { return *set_; }

 private:
  std::shared_ptr<const EventSet> set_;
  FrameOptions frames_;
  EventTransforms filters_, transforms_;
  bool train_ = false;
  int64_t out_w_ = 0, out_h_ = 0;  // sensor size after the transforms
  int64_t T_;
  int num_classes_;
  std::string name_;
};

}  // namespace soma
