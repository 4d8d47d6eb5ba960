#include "soma/data/encoders/static_encoder.hpp"

#include <algorithm>
#include <cmath>

#include "soma/core/config_node.hpp"
#include "soma/core/error.hpp"

namespace soma {

std::string StaticEncoding::describe() const {
  switch (type) {
    case Type::kDirect: return "direct";
    case Type::kRate: return str_cat("rate(gain=", gain, ")");
    case Type::kLatency: return str_cat("latency(threshold=", threshold, ")");
  }
  return "?";
}

StaticEncoding parse_static_encoding(const ConfigNode& c) {
  StaticEncoding e;
  if (!c.is_map()) c.fail("expected a map such as {type: rate, gain: 1.0}");
  const std::string type = c.get_choice("type", {"direct", "rate", "latency"}, "rate");
  if (type == "direct") e.type = StaticEncoding::Type::kDirect;
  if (type == "rate") {
    e.type = StaticEncoding::Type::kRate;
    e.gain = c.get_float("gain", 1.0f);
    c.require(e.gain >= 0.f && std::isfinite(e.gain), "gain", "must be >= 0, got ", e.gain);
  }
  if (type == "latency") {
    e.type = StaticEncoding::Type::kLatency;
    e.threshold = c.get_float("threshold", 0.0f);
    c.require(e.threshold >= 0.f && e.threshold < 1.f, "threshold", "must be in [0, 1), got ",
              e.threshold);
  }
  c.ensure_all_used();
  return e;
}

void encode_static(const StaticEncoding& enc, const float* image, int64_t M, int64_t T, float* out,
                   Rng& rng) {
  SOMA_ASSERT(T > 0 && M >= 0);
  // Pixel-major loops: pixel m is read once, then its T steps are written; this makes the
  // documented aliasing (image == last step of out) safe.
  switch (enc.type) {
    case StaticEncoding::Type::kDirect:
      for (int64_t m = 0; m < M; ++m) {
        const float v = image[m];
        for (int64_t t = 0; t < T; ++t) out[t * M + m] = v;
      }
      break;
    case StaticEncoding::Type::kRate:
      for (int64_t m = 0; m < M; ++m) {
        const float p = std::clamp(enc.gain * image[m], 0.0f, 1.0f);
        for (int64_t t = 0; t < T; ++t) out[t * M + m] = rng.uniform() < p ? 1.0f : 0.0f;
      }
      break;
    case StaticEncoding::Type::kLatency:
      for (int64_t m = 0; m < M; ++m) {
        const float v = std::clamp(image[m], 0.0f, 1.0f);
        const int64_t fire =
            image[m] > enc.threshold
                ? static_cast<int64_t>(std::lround((1.0 - static_cast<double>(v)) * (T - 1)))
                : -1;
        for (int64_t t = 0; t < T; ++t) out[t * M + m] = t == fire ? 1.0f : 0.0f;
      }
      break;
  }
}

}  // namespace soma
