#include "soma/data/time_surface.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "pixel_map.hpp"

namespace soma {

void integrate_time_surface(const Events& ev, const FrameOptions& opt, int64_t T, int64_t width,
                            int64_t height, float* out) {
  SOMA_CHECK(T > 0, "time surface needs T > 0 frames, got ", T);
  SOMA_CHECK(opt.tau_us > 0.0, "time surface needs tau_us > 0, got ", opt.tau_us);
  const detail::PixelMap pm(opt, width, height);
  std::memset(out, 0, sizeof(float) * static_cast<size_t>(T * pm.step));
  const int64_t N = static_cast<int64_t>(ev.size());
  if (N == 0) return;
  const int64_t* t = ev.t.data();
  const int64_t t0 = t[0];
  // End index (exclusive) and sampling time of every frame.
  std::vector<int64_t> end(static_cast<size_t>(T)), when(static_cast<size_t>(T));
  auto first_at_or_after = [&](int64_t tt) {
    return static_cast<int64_t>(std::lower_bound(t, t + N, tt) - t);
  };
  for (int64_t j = 0; j < T; ++j) {
    int64_t e = N, w = t[N - 1];
    switch (opt.split_by) {
      case FrameOptions::SplitBy::kTime: {
        const int64_t dt = (t[N - 1] - t0) / T;
        if (j < T - 1) {
          w = t0 + dt * (j + 1);
          e = dt > 0 ? first_at_or_after(w) : 0;
        }
        break;
      }
      case FrameOptions::SplitBy::kNumber: {
        const int64_t k = N / T;
        if (j < T - 1) e = k * (j + 1);
        w = e > 0 ? t[e - 1] : t0;
        break;
      }
      case FrameOptions::SplitBy::kWindow: {
        w = t0 + (opt.window_us - opt.overlap_us) * j + opt.window_us;
        e = first_at_or_after(w);
        break;
      }
    }
    end[static_cast<size_t>(j)] = e;
    when[static_cast<size_t>(j)] = w;
  }
  constexpr int64_t kNever = std::numeric_limits<int64_t>::min();
  std::vector<int64_t> last(static_cast<size_t>(pm.step), kNever);
  const double inv_tau = 1.0 / opt.tau_us;
  int64_t i = 0;
  for (int64_t j = 0; j < T; ++j) {
    // Frame ends are non-decreasing for every split rule, so one sweep suffices.
    for (const int64_t e = std::max(end[static_cast<size_t>(j)], i); i < e; ++i) {
      SOMA_CHECK_AS(ShapeError, i == 0 || t[i] >= t[i - 1], "time surface: event ", i, " (t=", t[i],
                    ") is earlier than event ", i - 1, " (t=", t[i - 1], "); events must be sorted");
      int64_t& l = last[static_cast<size_t>(pm.offset(ev, i))];
      l = std::max(l, t[i]);
    }
    float* f = out + j * pm.step;
    const double w = static_cast<double>(when[static_cast<size_t>(j)]);
    for (int64_t k = 0; k < pm.step; ++k) {
      const int64_t l = last[static_cast<size_t>(k)];
      if (l != kNever) f[k] = static_cast<float>(std::exp(-(w - static_cast<double>(l)) * inv_tau));
    }
  }
}

}  // namespace soma
