// Internal: where an event lands inside one [P, H', W'] frame (polarity channel, downsample or
// size), shared by count frames, voxel grids and time surfaces. See soma/data/frames.hpp.
#pragma once

#include <cstdint>

#include "soma/core/error.hpp"
#include "soma/data/events.hpp"
#include "soma/data/frames.hpp"

namespace soma::detail {

struct PixelMap {
  PixelMap(const FrameOptions& opt, int64_t width, int64_t height)
      : width_(width), height_(height), sized_(opt.size_h > 0), f_(opt.downsample),
        merge_(opt.merge_polarity) {
    const Shape fs = opt.frame_shape(width, height);
    P = fs[0];
    H = fs[1];
    W = fs[2];
    plane = H * W;
    step = P * plane;
  }
  // Offset of event i in a frame; ShapeError for an event outside the sensor.
  int64_t offset(const Events& ev, int64_t i) const {
    const int64_t x = ev.x[static_cast<size_t>(i)], y = ev.y[static_cast<size_t>(i)];
    const int64_t p = ev.p[static_cast<size_t>(i)];
    SOMA_CHECK_AS(ShapeError, x < width_ && y < height_ && (p == 0 || p == 1), "event ", i,
                  " (x=", x, ", y=", y, ", p=", p, ") lies outside the ", width_, "x", height_,
                  " sensor or has a polarity other than 0/1");
    const int64_t xo = sized_ ? x * W / width_ : x / f_;
    const int64_t yo = sized_ ? y * H / height_ : y / f_;
    return (merge_ ? 0 : p) * plane + yo * W + xo;
  }
  int64_t P = 0, H = 0, W = 0, plane = 0, step = 0;

 private:
  int64_t width_, height_;
  bool sized_;
  int64_t f_;
  bool merge_;
};

}  // namespace soma::detail
