// Encoders that turn one static image x in [0, 1] (shape [C, H, W], numel M) into T time steps
// out[t, m], t = 0..T-1 (shape [T, C, H, W]).
//
//   direct   out[t, m] = x[m]                               the analog image at every step
//   rate     out[t, m] = 1 with probability p = clamp(gain * x[m], 0, 1), else 0; independent
//            Bernoulli draws from the sample's own Rng (so E[mean_t out] = p, sd = sqrt(p(1-p)/T))
//   latency  time-to-first-spike, linear in intensity: a single spike at step
//              t_m = round((1 - x[m]) * (T - 1))           when x[m] > threshold, none otherwise,
//            so the brightest pixel (1) fires at t = 0 and a pixel just above threshold near
//            T - 1. (Linear rather than the log/RC latency of snntorch's `latency(linear=False)`,
//            so the code is exact and easy to test.) round() is half away from zero.
//
// YAML (data.encoding, static image datasets only):
//   type: rate          # direct | rate | latency
//   gain: 1.0           # rate only, >= 0
//   threshold: 0.0      # latency only, in [0, 1)
// Sources: rate coding as in STBP (Wu et al. 2018) MNIST experiments; latency coding after
// snntorch `spikegen.latency` (linear variant); direct input as in SpikingJelly examples.
#pragma once

#include <cstdint>
#include <string>

#include "soma/core/rng.hpp"

namespace soma {

class ConfigNode;

struct StaticEncoding {
  enum class Type { kDirect, kRate, kLatency };
  Type type = Type::kRate;
  float gain = 1.0f;
  float threshold = 0.0f;

  std::string describe() const;  // "rate(gain=1)"
};

// Reads and validates data.encoding (a map; all keys consumed, ensure_all_used() called).
StaticEncoding parse_static_encoding(const ConfigNode& c);

// Writes T steps of `image` (M floats in [0, 1]) to out[T * M]. `image` may be the last step of
// `out` (out + (T - 1) * M): each pixel is read before any of its steps is written, so a dataset
// can decode the image straight into the output buffer. rng is used by `rate` only.
void encode_static(const StaticEncoding& enc, const float* image, int64_t M, int64_t T, float* out,
                   Rng& rng);

}  // namespace soma
