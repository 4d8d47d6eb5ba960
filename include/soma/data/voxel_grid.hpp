// Voxel grid: events -> B temporal bins with bilinear interpolation in time
// (Zhu, Yuan, Chaney, Daniilidis, "Unsupervised Event-based Learning of Optical Flow, Depth, and
// Egomotion", CVPR 2019; also EV-FlowNet).
//
// For N events sorted by t with t_0 = first and t_{N-1} = last, B = T bins (one per time step):
//   t*_i = (B - 1) (t_i - t_0) / (t_{N-1} - t_0)         (t*_i = 0 when t_{N-1} = t_0)
//   V[b, c, y', x'] = sum_{i -> (c, y', x')} w_i max(0, 1 - |b - t*_i|)
// so event i adds w_i (1 - frac(t*_i)) to bin floor(t*_i) and w_i frac(t*_i) to the next bin.
//   polarity: merge     c = 0, w_i = +1 for ON and -1 for OFF (the paper's signed polarity)
//   polarity: separate  c = p_i, w_i = 1                    (two non-negative channels)
// Spatial mapping (downsample / size) as in frames.hpp. The bins span the whole sample, so
// split_by / window_us do not apply (parse_frame_options rejects them with mode: voxel).
// Times are normalised in double. Shape [B, P, H', W'].
// YAML: data.frames: {mode: voxel, polarity: merge}
#pragma once

#include <cstdint>

#include "soma/data/events.hpp"
#include "soma/data/frames.hpp"

namespace soma {

// Writes B = T voxel bins to `out` ([T, P, H', W'], zeroed first).
void integrate_voxel_grid(const Events& ev, const FrameOptions& opt, int64_t T, int64_t width,
                          int64_t height, float* out);

}  // namespace soma
