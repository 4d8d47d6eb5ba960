// Event transforms: augmentation and filtering of one recording before frame integration.
//
// Each transform edits an Events set in place (keeping it sorted by t) and draws only from the
// sample's Rng, so a (seed, epoch, index) gives the same augmented sample on any thread.
//   random_crop {size: [h, w]}    offset ox ~ U{0..W-w}, oy ~ U{0..H-h}; keep events inside,
//                                 x -= ox, y -= oy; sensor becomes w x h. In evaluation splits
//                                 it becomes a center crop (ox = (W-w)/2, oy = (H-h)/2) so every
//                                 split has the same shape.
//   flip_x {p: 0.5}               with probability p: x -> W - 1 - x for every event
//   spatial_jitter {sigma: 1.0}   x += round(sigma n), y += round(sigma n'), n, n' ~ N(0, 1) per
//                                 event; events leaving the sensor are dropped
//   time_jitter {sigma_us: 1000}  t += round(sigma_us n) per event, then a stable sort by t
//   drop_event {p: 0.1}           each event dropped with probability p (EventDrop "random")
//   drop_time {fraction: 0.2}     r ~ U(0, fraction); drop the events of one interval of length
//                                 r (t_{N-1} - t_0) starting at t_0 + U(0, 1)(1 - r)(t_{N-1} - t_0)
//   drop_area {fraction: 0.2}     r ~ U(0, fraction); drop the events inside a box of
//                                 floor(r W) x floor(r H) pixels at a uniform position
//                                 (drop_* after Gu, Sng, Chua, Kuo, "EventDrop", IJCAI 2021)
//   denoise {dt_us: 5000}         isolated-event filter: keep event i only if another pixel of
//                                 its 3x3 neighbourhood had an event (kept or not) in
//                                 [t_i - dt_us, t_i]; polarity ignored
//   refractory {dt_us: 1000}      per pixel (both polarities): drop an event that comes less than
//                                 dt_us after the previous kept event of that pixel
// YAML:
//   data.transforms: [{type: random_crop, size: [28, 28]}, {type: flip_x}]   # train split only
//   data.filters: [{type: denoise, dt_us: 5000}]   # every split; denoise / refractory only
// Deterministic filters run on every split when listed under `filters`; `transforms` are
// training augmentation (random ones run only on the training split; random_crop turns into a
// center crop elsewhere).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "soma/core/rng.hpp"
#include "soma/data/events.hpp"

namespace soma {

class ConfigNode;

// ---- single transforms (ev.width / ev.height must be set) ----
void random_crop(Events& ev, int64_t h, int64_t w, Rng& rng);
void center_crop(Events& ev, int64_t h, int64_t w);
void flip_x(Events& ev);
void spatial_jitter(Events& ev, double sigma, Rng& rng);
void time_jitter(Events& ev, double sigma_us, Rng& rng);
void drop_events(Events& ev, double p, Rng& rng);
void drop_time(Events& ev, double max_fraction, Rng& rng);
void drop_area(Events& ev, double max_fraction, Rng& rng);
void denoise(Events& ev, int64_t dt_us);
void refractory(Events& ev, int64_t dt_us);

struct EventTransform {
  enum class Kind {
    kRandomCrop, kFlipX, kSpatialJitter, kTimeJitter, kDropEvent, kDropTime, kDropArea,
    kDenoise, kRefractory,
  };
  Kind kind = Kind::kFlipX;
  double value = 0.0;  // p, sigma, sigma_us, fraction or dt_us
  int64_t h = 0, w = 0;  // random_crop
};

class EventTransforms {
 public:
  // Parses a YAML list of {type: ..., key: value}. With filters_only, only denoise/refractory.
  static EventTransforms parse(const ConfigNode& list, bool filters_only);
  bool empty() const { return steps_.empty(); }
  // Sensor size after the pipeline (crops change it).
  void output_size(int64_t& width, int64_t& height) const;
  // Applies every step. train = false (evaluation splits) turns random_crop into a center crop
  // and skips every other step; `filters` pipelines are applied with train = true everywhere.
  void apply(Events& ev, Rng& rng, bool train) const;
  std::string describe() const;
  const std::vector<EventTransform>& steps() const { return steps_; }
  void add(EventTransform t) { steps_.push_back(t); }

 private:
  std::vector<EventTransform> steps_;
};

}  // namespace soma
