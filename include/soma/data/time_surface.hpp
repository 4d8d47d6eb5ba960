// Time surface: the exponentially decayed time of the most recent event per pixel and polarity,
// sampled at the end of each frame window (Lagorce et al., "HOTS: A Hierarchy of Event-Based
// Time-Surfaces for Pattern Recognition", TPAMI 2017; the per-pixel form of Sironi et al.,
// "HATS", CVPR 2018, without the neighbourhood averaging).
//
//   S_j[c, y', x'] = exp(-(tau_j - L_j[c, y', x']) / tau)   if a pixel event happened, else 0
// where L_j is the latest timestamp of the events i < e_j mapped to (c, y', x') (the maximum
// over merged pixels when downsampling), e_j the end (exclusive) of frame j and tau_j its
// sampling time. Events are never forgotten: a surface sees every earlier event, not only those
// of its own window. Frame ends follow split_by (frames.hpp):
//   time     e_j: first event with t >= t_0 + dT (j+1), tau_j = t_0 + dT (j+1); last frame:
//            all events, tau = t_{N-1}
//   number   e_j = k (j+1) (last frame: N), tau_j = t of event e_j - 1
//   window   tau_j = t_0 + s j + w, e_j: first event with t >= tau_j
// Values lie in (0, 1]; an event exactly at tau_j gives 1. Needs events sorted by t.
// YAML: data.frames: {mode: time_surface, tau_us: 50000, split_by: time}
#pragma once

#include <cstdint>

#include "soma/data/events.hpp"
#include "soma/data/frames.hpp"

namespace soma {

// Writes T surfaces to `out` ([T, P, H', W'], zeroed first).
void integrate_time_surface(const Events& ev, const FrameOptions& opt, int64_t T, int64_t width,
                            int64_t height, float* out);

}  // namespace soma
