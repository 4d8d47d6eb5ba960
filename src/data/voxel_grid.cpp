#include "soma/data/voxel_grid.hpp"

#include <cmath>
#include <cstring>

#include "pixel_map.hpp"

namespace soma {

void integrate_voxel_grid(const Events& ev, const FrameOptions& opt, int64_t T, int64_t width,
                          int64_t height, float* out) {
  SOMA_CHECK(T > 0, "voxel grid needs T > 0 bins, got ", T);
  const detail::PixelMap pm(opt, width, height);
  std::memset(out, 0, sizeof(float) * static_cast<size_t>(T * pm.step));
  const int64_t N = static_cast<int64_t>(ev.size());
  if (N == 0) return;
  const int64_t t0 = ev.t.front();
  const double span = static_cast<double>(ev.t.back() - t0);
  const double scale = span > 0.0 ? static_cast<double>(T - 1) / span : 0.0;
  for (int64_t i = 0; i < N; ++i) {
    const int64_t o = pm.offset(ev, i);
    const double w = opt.merge_polarity ? (ev.p[static_cast<size_t>(i)] ? 1.0 : -1.0) : 1.0;
    double ts = static_cast<double>(ev.t[static_cast<size_t>(i)] - t0) * scale;
    ts = std::min(std::max(ts, 0.0), static_cast<double>(T - 1));
    const auto b = static_cast<int64_t>(std::floor(ts));
    const double frac = ts - static_cast<double>(b);
    out[b * pm.step + o] += static_cast<float>(w * (1.0 - frac));
    if (b + 1 < T && frac > 0.0) out[(b + 1) * pm.step + o] += static_cast<float>(w * frac);
  }
}

}  // namespace soma
