// Frame integration: events (t, x, y, p) of one sample -> T frames F[j, c, y', x'] ([T, P, H', W']).
//
// Which events go to frame j (N events, sorted by t, t_0 = first, t_{N-1} = last):
//   split_by: number  k = floor(N / T); frame j holds event indices [k*j, k*(j+1)), the last frame
//                     takes the remainder [k*(T-1), N)                      (SpikingJelly)
//   split_by: time    dT = floor((t_{N-1} - t_0) / T) µs; frame j holds t in
//                     [t_0 + dT*j, t_0 + dT*(j+1)), the last frame [t_0 + dT*(T-1), inf)
//                     (SpikingJelly). With k = 0 / dT = 0 every event lands in the last frame.
//   window_us: w      fixed windows from the first event: stride s = w - overlap_us,
//                     frame j holds t in [t_0 + s*j, t_0 + s*j + w); events after the T-th
//                     window are dropped, and with overlap an event counts in every window it
//                     falls in. (split_by must then be absent or `window`.)
// Where an event lands inside its frame:
//   polarity: separate   c = p (P = 2; 0 = OFF, 1 = ON)       merge: c = 0 (P = 1)
//   downsample: f        x' = floor(x / f), y' = floor(y / f), H' = ceil(H / f), W' = ceil(W / f)
//   size: [h, w]         x' = floor(x * w / W), y' = floor(y * h / H)   (not with downsample)
// Value of a frame pixel, from the number n of events that landed there:
//   mode: count  n       binary  min(n, 1)       clip  min(n, clip)   (clip default 1)
// Other representations of the same [T, P, H', W'] shape (maths in their headers):
//   mode: voxel          bilinear-in-time voxel grid over the whole sample (voxel_grid.hpp)
//   mode: time_surface   exp(-(tau_j - last t) / tau_us) per pixel at each frame end
//                        (time_surface.hpp), tau_us default 50000
// One pass over the events (each event is visited once; overlapping windows touch at most
// ceil(w / s) frames), then one pass over the frame buffer for binary/clip.
//
// YAML (data.frames, event datasets):
//   split_by: time      # time | number | window (window is implied by window_us)
//   window_us: 0        # > 0: fixed windows of this duration (µs)
//   overlap_us: 0       # 0 <= overlap_us < window_us
//   mode: count         # count | binary | clip | voxel | time_surface
//   clip: 1             # mode clip: maximal value (>= 1)
//   tau_us: 50000       # mode time_surface: decay constant (µs, > 0)
//   downsample: 1       # integer factor >= 1
//   size: [h, w]        # target size instead of downsample
//   polarity: separate  # separate | merge
// Source: SpikingJelly `datasets/__init__.py` integrate_events_by_fixed_frames_number /
// integrate_events_segment_to_frame (split semantics); window framing as in the STBP N-MNIST
// 5 ms bins and the DCLL DVS-Gesture loader.
#pragma once

#include <cstdint>
#include <string>

#include "soma/data/events.hpp"
#include "soma/tensor/shape.hpp"
#include "soma/tensor/tensor.hpp"

namespace soma {

class ConfigNode;

struct FrameOptions {
  enum class SplitBy { kTime, kNumber, kWindow };
  enum class Mode { kCount, kBinary, kClip, kVoxel, kTimeSurface };
  SplitBy split_by = SplitBy::kTime;
  int64_t window_us = 0;
  int64_t overlap_us = 0;
  Mode mode = Mode::kCount;
  float clip = 1.0f;
  double tau_us = 50000.0;  // kTimeSurface
  int64_t downsample = 1;
  int64_t size_h = 0;  // > 0 with size_w: explicit target size
  int64_t size_w = 0;
  bool merge_polarity = false;

  // Per-step shape [P, H', W'] for a sensor of `width` x `height`.
  Shape frame_shape(int64_t width, int64_t height) const;
  std::string describe() const;
};

// Reads and validates data.frames (all keys consumed; ensure_all_used() called).
FrameOptions parse_frame_options(const ConfigNode& c);

// Writes T frames ([T, P, H', W'] floats, frame_shape() per step) to `out` (zeroed first).
// `width`/`height` are the sensor size the dataset fixes (an event outside it is a ShapeError).
void integrate_frames(const Events& ev, const FrameOptions& opt, int64_t T, int64_t width,
                      int64_t height, float* out);
// Convenience: allocates [T, P, H', W'] using ev.width / ev.height.
Tensor events_to_frames(const Events& ev, const FrameOptions& opt, int64_t T);

}  // namespace soma
