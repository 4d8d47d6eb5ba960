#include "soma/data/frames.hpp"

#include <algorithm>
#include <cstring>

#include "soma/core/config_node.hpp"
#include "soma/core/error.hpp"
#include "soma/data/time_surface.hpp"
#include "soma/data/voxel_grid.hpp"

namespace soma {

Shape FrameOptions::frame_shape(int64_t width, int64_t height) const {
  const int64_t P = merge_polarity ? 1 : 2;
  if (size_h > 0) return Shape{P, size_h, size_w};
  return Shape{P, (height + downsample - 1) / downsample, (width + downsample - 1) / downsample};
}

std::string FrameOptions::describe() const {
  std::string s;
  switch (split_by) {
    case SplitBy::kTime: s = "split_by=time"; break;
    case SplitBy::kNumber: s = "split_by=number"; break;
    case SplitBy::kWindow: s = str_cat("window_us=", window_us, " overlap_us=", overlap_us); break;
  }
  switch (mode) {
    case Mode::kCount: s += " mode=count"; break;
    case Mode::kBinary: s += " mode=binary"; break;
    case Mode::kClip: s += str_cat(" mode=clip(", clip, ")"); break;
    case Mode::kVoxel: s += " mode=voxel"; break;
    case Mode::kTimeSurface: s += str_cat(" mode=time_surface(tau_us=", tau_us, ")"); break;
  }
  if (size_h > 0) s += str_cat(" size=[", size_h, ", ", size_w, "]");
  if (downsample > 1) s += str_cat(" downsample=", downsample);
  s += merge_polarity ? " polarity=merge" : " polarity=separate";
  return s;
}

FrameOptions parse_frame_options(const ConfigNode& c) {
  FrameOptions o;
  if (!c.is_map()) c.fail("expected a map such as {split_by: time, mode: count}");
  const bool windowed = c.has("window_us");
  const std::string split =
      c.get_choice("split_by", {"time", "number", "window"}, windowed ? "window" : "time");
  if (split == "time") o.split_by = FrameOptions::SplitBy::kTime;
  if (split == "number") o.split_by = FrameOptions::SplitBy::kNumber;
  if (split == "window") {
    o.split_by = FrameOptions::SplitBy::kWindow;
    c.require(windowed, "split_by", "split_by: window needs window_us (frame duration in µs)");
  }
  if (windowed) {
    c.require(split == "window", "window_us", "window_us fixes the frame duration; it cannot be ",
              "combined with split_by: ", split);
    o.window_us = c.get_int("window_us");
    c.require(o.window_us > 0, "window_us", "must be > 0 µs, got ", o.window_us);
    o.overlap_us = c.get_int("overlap_us", 0);
    c.require(o.overlap_us >= 0 && o.overlap_us < o.window_us, "overlap_us",
              "must be in [0, window_us = ", o.window_us, "), got ", o.overlap_us);
  } else {
    c.require(!c.has("overlap_us"), "overlap_us", "overlap_us needs window_us");
  }
  const std::string mode =
      c.get_choice("mode", {"count", "binary", "clip", "voxel", "time_surface"}, "count");
  if (mode == "voxel") {
    o.mode = FrameOptions::Mode::kVoxel;
    c.require(split == "time", windowed ? "window_us" : "split_by",
              "mode: voxel spreads the T bins over the whole sample; split_by / window_us do not "
              "apply");
  }
  if (mode == "time_surface") {
    o.mode = FrameOptions::Mode::kTimeSurface;
    o.tau_us = c.get_double("tau_us", 50000.0);
    c.require(o.tau_us > 0.0, "tau_us", "must be > 0 µs, got ", o.tau_us);
  } else {
    c.require(!c.has("tau_us"), "tau_us", "tau_us is only used with mode: time_surface");
  }
  if (mode == "count") o.mode = FrameOptions::Mode::kCount;
  if (mode == "binary") o.mode = FrameOptions::Mode::kBinary;
  if (mode == "clip") {
    o.mode = FrameOptions::Mode::kClip;
    o.clip = c.get_float("clip", 1.0f);
    c.require(o.clip >= 1.0f, "clip", "must be >= 1 (a maximal event count), got ", o.clip);
  } else {
    c.require(!c.has("clip"), "clip", "clip is only used with mode: clip");
  }
  if (c.has("size")) {
    c.require(!c.has("downsample"), "size", "give either size or downsample, not both");
    const auto hw = c.get_int_list("size");
    c.require(hw.size() == 2 && hw[0] > 0 && hw[1] > 0, "size", "expected [h, w] > 0");
    o.size_h = hw[0];
    o.size_w = hw[1];
  } else {
    o.downsample = c.get_int("downsample", 1);
    c.require(o.downsample >= 1, "downsample", "must be an integer >= 1, got ", o.downsample);
  }
  o.merge_polarity = c.get_choice("polarity", {"separate", "merge"}, "separate") == "merge";
  c.ensure_all_used();
  return o;
}

void integrate_frames(const Events& ev, const FrameOptions& opt, int64_t T, int64_t width,
                      int64_t height, float* out) {
  SOMA_CHECK(T > 0, "frame integration needs T > 0 frames, got ", T);
  if (opt.mode == FrameOptions::Mode::kVoxel) return integrate_voxel_grid(ev, opt, T, width, height, out);
  if (opt.mode == FrameOptions::Mode::kTimeSurface)
    return integrate_time_surface(ev, opt, T, width, height, out);
  const Shape fs = opt.frame_shape(width, height);
  const int64_t P = fs[0], H = fs[1], W = fs[2];
  const int64_t plane = H * W;
  const int64_t step = P * plane;
  std::memset(out, 0, sizeof(float) * static_cast<size_t>(T * step));
  const int64_t N = static_cast<int64_t>(ev.size());
  if (N == 0) return;

  const int64_t* ts = ev.t.data();
  const uint16_t* xs = ev.x.data();
  const uint16_t* ys = ev.y.data();
  const int8_t* ps = ev.p.data();
  const int64_t t0 = ts[0];
  const bool sized = opt.size_h > 0;
  const int64_t f = opt.downsample;

  // Position of event i inside a frame, or a ShapeError for an event outside the sensor.
  auto offset_of = [&](int64_t i) -> int64_t {
    const int64_t x = xs[i], y = ys[i], p = ps[i];
    SOMA_CHECK_AS(ShapeError, x < width && y < height && (p == 0 || p == 1), "event ", i,
                  " (x=", x, ", y=", y, ", p=", p, ") lies outside the ", width, "x", height,
                  " sensor or has a polarity other than 0/1");
    const int64_t xo = sized ? x * W / width : x / f;
    const int64_t yo = sized ? y * H / height : y / f;
    const int64_t c = opt.merge_polarity ? 0 : p;
    return c * plane + yo * W + xo;
  };

  switch (opt.split_by) {
    case FrameOptions::SplitBy::kNumber: {
      const int64_t k = N / T;
      for (int64_t i = 0; i < N; ++i) {
        const int64_t j = k > 0 ? std::min(i / k, T - 1) : T - 1;
        out[j * step + offset_of(i)] += 1.0f;
      }
      break;
    }
    case FrameOptions::SplitBy::kTime: {
      const int64_t dt = (ts[N - 1] - t0) / T;
      for (int64_t i = 0; i < N; ++i) {
        const int64_t rel = std::max<int64_t>(ts[i] - t0, 0);
        const int64_t j = dt > 0 ? std::min(rel / dt, T - 1) : T - 1;
        out[j * step + offset_of(i)] += 1.0f;
      }
      break;
    }
    case FrameOptions::SplitBy::kWindow: {
      const int64_t w = opt.window_us;
      const int64_t s = opt.window_us - opt.overlap_us;
      SOMA_CHECK(w > 0 && s > 0, "window framing needs window_us > overlap_us >= 0");
      for (int64_t i = 0; i < N; ++i) {
        const int64_t rel = ts[i] - t0;
        if (rel < 0) continue;
        // Frame j holds rel in [s*j, s*j + w): j <= rel/s and j > (rel - w)/s.
        const int64_t j_lo = rel < w ? 0 : (rel - w) / s + 1;
        const int64_t j_hi = std::min(rel / s, T - 1);
        if (j_lo > j_hi) continue;
        const int64_t o = offset_of(i);
        for (int64_t j = j_lo; j <= j_hi; ++j) out[j * step + o] += 1.0f;
      }
      break;
    }
  }

  if (opt.mode != FrameOptions::Mode::kCount) {
    const float cap = opt.mode == FrameOptions::Mode::kBinary ? 1.0f : opt.clip;
    const int64_t n = T * step;
    for (int64_t k = 0; k < n; ++k) out[k] = std::min(out[k], cap);
  }
}

Tensor events_to_frames(const Events& ev, const FrameOptions& opt, int64_t T) {
  const Shape fs = opt.frame_shape(ev.width, ev.height);
  Tensor out = Tensor::empty(Shape{T, fs[0], fs[1], fs[2]});
  integrate_frames(ev, opt, T, ev.width, ev.height, out.data());
  return out;
}

}  // namespace soma
