#include "soma/data/event_transforms.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "soma/core/config_node.hpp"
#include "soma/core/error.hpp"

namespace soma {
namespace {

// Keeps the events whose keep[i] is true (order preserved).
void compact(Events& ev, const std::vector<uint8_t>& keep) {
  size_t o = 0;
  for (size_t i = 0; i < ev.size(); ++i) {
    if (!keep[i]) continue;
    ev.t[o] = ev.t[i];
    ev.x[o] = ev.x[i];
    ev.y[o] = ev.y[i];
    ev.p[o] = ev.p[i];
    ++o;
  }
  ev.t.resize(o);
  ev.x.resize(o);
  ev.y.resize(o);
  ev.p.resize(o);
}

void crop_at(Events& ev, int64_t h, int64_t w, int64_t ox, int64_t oy) {
  std::vector<uint8_t> keep(ev.size());
  for (size_t i = 0; i < ev.size(); ++i) {
    const int64_t x = ev.x[i] - ox, y = ev.y[i] - oy;
    keep[i] = x >= 0 && x < w && y >= 0 && y < h;
    ev.x[i] = static_cast<uint16_t>(std::max<int64_t>(x, 0));
    ev.y[i] = static_cast<uint16_t>(std::max<int64_t>(y, 0));
  }
  compact(ev, keep);
  ev.width = static_cast<uint16_t>(w);
  ev.height = static_cast<uint16_t>(h);
}

void check_crop(const Events& ev, int64_t h, int64_t w) {
  SOMA_CHECK_AS(ShapeError, h > 0 && w > 0 && h <= ev.height && w <= ev.width, "crop ", h, "x", w,
                " (h x w) does not fit the ", ev.height, "x", ev.width, " sensor");
}

const char* kind_name(EventTransform::Kind k) {
  switch (k) {
    case EventTransform::Kind::kRandomCrop: return "random_crop";
    case EventTransform::Kind::kFlipX: return "flip_x";
    case EventTransform::Kind::kSpatialJitter: return "spatial_jitter";
    case EventTransform::Kind::kTimeJitter: return "time_jitter";
    case EventTransform::Kind::kDropEvent: return "drop_event";
    case EventTransform::Kind::kDropTime: return "drop_time";
    case EventTransform::Kind::kDropArea: return "drop_area";
    case EventTransform::Kind::kDenoise: return "denoise";
    case EventTransform::Kind::kRefractory: return "refractory";
  }
  return "?";
}

}  // namespace

void random_crop(Events& ev, int64_t h, int64_t w, Rng& rng) {
  check_crop(ev, h, w);
  const auto ox = static_cast<int64_t>(rng.below(static_cast<uint64_t>(ev.width - w + 1)));
  const auto oy = static_cast<int64_t>(rng.below(static_cast<uint64_t>(ev.height - h + 1)));
  crop_at(ev, h, w, ox, oy);
}

void center_crop(Events& ev, int64_t h, int64_t w) {
  check_crop(ev, h, w);
  crop_at(ev, h, w, (ev.width - w) / 2, (ev.height - h) / 2);
}

void flip_x(Events& ev) {
  const int64_t W = ev.width;
  for (auto& x : ev.x) x = static_cast<uint16_t>(W - 1 - x);
}

void spatial_jitter(Events& ev, double sigma, Rng& rng) {
  std::vector<uint8_t> keep(ev.size());
  for (size_t i = 0; i < ev.size(); ++i) {
    const int64_t x = ev.x[i] + std::llround(sigma * rng.normal());
    const int64_t y = ev.y[i] + std::llround(sigma * rng.normal());
    keep[i] = x >= 0 && x < ev.width && y >= 0 && y < ev.height;
    ev.x[i] = static_cast<uint16_t>(std::clamp<int64_t>(x, 0, ev.width - 1));
    ev.y[i] = static_cast<uint16_t>(std::clamp<int64_t>(y, 0, ev.height - 1));
  }
  compact(ev, keep);
}

void time_jitter(Events& ev, double sigma_us, Rng& rng) {
  for (auto& t : ev.t) t += std::llround(sigma_us * rng.normal());
  std::vector<size_t> order(ev.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ev.t[a] < ev.t[b]; });
  Events s;
  s.reserve(ev.size());
  for (size_t k : order) s.push_back(ev.t[k], ev.x[k], ev.y[k], ev.p[k]);
  s.width = ev.width;
  s.height = ev.height;
  ev = std::move(s);
}

void drop_events(Events& ev, double p, Rng& rng) {
  std::vector<uint8_t> keep(ev.size());
  for (size_t i = 0; i < ev.size(); ++i) keep[i] = !rng.bernoulli(static_cast<float>(p));
  compact(ev, keep);
}

void drop_time(Events& ev, double max_fraction, Rng& rng) {
  const double r = max_fraction * rng.uniform();
  const double start_u = rng.uniform();
  if (ev.empty()) return;
  const double span = static_cast<double>(ev.t.back() - ev.t.front());
  const double len = r * span;
  const double lo = static_cast<double>(ev.t.front()) + start_u * (span - len);
  std::vector<uint8_t> keep(ev.size());
  for (size_t i = 0; i < ev.size(); ++i) {
    const double t = static_cast<double>(ev.t[i]);
    keep[i] = !(t >= lo && t < lo + len);
  }
  compact(ev, keep);
}

void drop_area(Events& ev, double max_fraction, Rng& rng) {
  const double r = max_fraction * rng.uniform();
  const auto bw = static_cast<int64_t>(std::floor(r * ev.width));
  const auto bh = static_cast<int64_t>(std::floor(r * ev.height));
  const auto x0 = static_cast<int64_t>(rng.below(static_cast<uint64_t>(ev.width - bw + 1)));
  const auto y0 = static_cast<int64_t>(rng.below(static_cast<uint64_t>(ev.height - bh + 1)));
  if (bw == 0 || bh == 0) return;
  std::vector<uint8_t> keep(ev.size());
  for (size_t i = 0; i < ev.size(); ++i)
    keep[i] = !(ev.x[i] >= x0 && ev.x[i] < x0 + bw && ev.y[i] >= y0 && ev.y[i] < y0 + bh);
  compact(ev, keep);
}

void denoise(Events& ev, int64_t dt_us) {
  const int64_t W = ev.width, H = ev.height;
  constexpr int64_t kNever = std::numeric_limits<int64_t>::min() / 2;
  std::vector<int64_t> last(static_cast<size_t>(W * H), kNever);
  std::vector<uint8_t> keep(ev.size());
  for (size_t i = 0; i < ev.size(); ++i) {
    const int64_t x = ev.x[i], y = ev.y[i], t = ev.t[i];
    SOMA_CHECK_AS(ShapeError, x < W && y < H, "denoise: event ", i, " (x=", x, ", y=", y,
                  ") outside the ", W, "x", H, " sensor");
    bool support = false;
    for (int64_t yy = std::max<int64_t>(y - 1, 0); yy <= std::min(y + 1, H - 1) && !support; ++yy)
      for (int64_t xx = std::max<int64_t>(x - 1, 0); xx <= std::min(x + 1, W - 1); ++xx) {
        if (xx == x && yy == y) continue;
        if (t - last[static_cast<size_t>(yy * W + xx)] <= dt_us) {
          support = true;
          break;
        }
      }
    keep[i] = support;
    last[static_cast<size_t>(y * W + x)] = t;
  }
  compact(ev, keep);
}

void refractory(Events& ev, int64_t dt_us) {
  const int64_t W = ev.width, H = ev.height;
  constexpr int64_t kNever = std::numeric_limits<int64_t>::min() / 2;
  std::vector<int64_t> last(static_cast<size_t>(W * H), kNever);
  std::vector<uint8_t> keep(ev.size());
  for (size_t i = 0; i < ev.size(); ++i) {
    const int64_t x = ev.x[i], y = ev.y[i];
    SOMA_CHECK_AS(ShapeError, x < W && y < H, "refractory: event ", i, " (x=", x, ", y=", y,
                  ") outside the ", W, "x", H, " sensor");
    int64_t& l = last[static_cast<size_t>(y * W + x)];
    keep[i] = ev.t[i] - l >= dt_us;
    if (keep[i]) l = ev.t[i];
  }
  compact(ev, keep);
}

EventTransforms EventTransforms::parse(const ConfigNode& list, bool filters_only) {
  if (!list.is_sequence())
    list.fail("expected a list of transforms such as [{type: flip_x}, {type: denoise, dt_us: 5000}]");
  EventTransforms out;
  for (const ConfigNode& c : list.items()) {
    if (!c.is_map()) c.fail("expected a map {type: ..., ...}");
    const std::string type = c.get_choice(
        "type", {"random_crop", "flip_x", "spatial_jitter", "time_jitter", "drop_event",
                 "drop_time", "drop_area", "denoise", "refractory"}, "");
    EventTransform t;
    using K = EventTransform::Kind;
    if (filters_only)
      c.require(type == "denoise" || type == "refractory", "type", "data.filters takes only the "
                "deterministic filters denoise and refractory; '", type, "' belongs in data.transforms");
    auto prob = [&](const char* key, double def) {
      const double v = c.get_double(key, def);
      c.require(v >= 0.0 && v <= 1.0, key, "must be in [0, 1], got ", v);
      return v;
    };
    auto positive = [&](const char* key, double def) {
      const double v = c.get_double(key, def);
      c.require(v > 0.0, key, "must be > 0, got ", v);
      return v;
    };
    if (type == "random_crop") {
      t.kind = K::kRandomCrop;
      const auto hw = c.get_int_list("size");
      c.require(hw.size() == 2 && hw[0] > 0 && hw[1] > 0, "size", "expected [h, w] > 0");
      t.h = hw[0];
      t.w = hw[1];
    } else if (type == "flip_x") {
      t.kind = K::kFlipX;
      t.value = prob("p", 0.5);
    } else if (type == "spatial_jitter") {
      t.kind = K::kSpatialJitter;
      t.value = positive("sigma", 1.0);
    } else if (type == "time_jitter") {
      t.kind = K::kTimeJitter;
      t.value = positive("sigma_us", 1000.0);
    } else if (type == "drop_event") {
      t.kind = K::kDropEvent;
      t.value = prob("p", 0.1);
    } else if (type == "drop_time" || type == "drop_area") {
      t.kind = type == "drop_time" ? K::kDropTime : K::kDropArea;
      t.value = prob("fraction", 0.2);
    } else if (type == "denoise") {
      t.kind = K::kDenoise;
      t.value = positive("dt_us", 5000.0);
    } else {
      t.kind = K::kRefractory;
      t.value = positive("dt_us", 1000.0);
    }
    c.ensure_all_used();
    out.steps_.push_back(t);
  }
  return out;
}

void EventTransforms::output_size(int64_t& width, int64_t& height) const {
  for (const auto& s : steps_)
    if (s.kind == EventTransform::Kind::kRandomCrop) {
      SOMA_CHECK_AS(ConfigError, s.h <= height && s.w <= width, "random_crop size [", s.h, ", ",
                    s.w, "] does not fit the ", height, "x", width, " (h x w) sensor");
      width = s.w;
      height = s.h;
    }
}

void EventTransforms::apply(Events& ev, Rng& rng, bool train) const {
  using K = EventTransform::Kind;
  for (const auto& s : steps_) {
    switch (s.kind) {
      case K::kRandomCrop:
        if (train) random_crop(ev, s.h, s.w, rng);
        else center_crop(ev, s.h, s.w);
        break;
      case K::kFlipX:
        if (train && rng.bernoulli(static_cast<float>(s.value))) flip_x(ev);
        break;
      case K::kSpatialJitter: if (train) spatial_jitter(ev, s.value, rng); break;
      case K::kTimeJitter: if (train) time_jitter(ev, s.value, rng); break;
      case K::kDropEvent: if (train) drop_events(ev, s.value, rng); break;
      case K::kDropTime: if (train) drop_time(ev, s.value, rng); break;
      case K::kDropArea: if (train) drop_area(ev, s.value, rng); break;
      case K::kDenoise: if (train) denoise(ev, static_cast<int64_t>(s.value)); break;
      case K::kRefractory: if (train) refractory(ev, static_cast<int64_t>(s.value)); break;
    }
  }
}

std::string EventTransforms::describe() const {
  std::string s;
  for (const auto& t : steps_) {
    if (!s.empty()) s += ", ";
    s += kind_name(t.kind);
    if (t.kind == EventTransform::Kind::kRandomCrop) s += str_cat("[", t.h, ",", t.w, "]");
    else s += str_cat("(", t.value, ")");
  }
  return s;
}

}  // namespace soma
