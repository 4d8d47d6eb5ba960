// Prophesee EVT 3.0 `.raw` reader.
//
// '%' header (geometry: reader_common.hpp), then little-endian uint16 words, type = w >> 12:
//   0x0 ADDR_Y       y = w & 0x7FF (bit 11: system type, ignored)
//   0x2 ADDR_X       one event at x = w & 0x7FF, p = bit 11
//   0x3 VECT_BASE_X  base_x = w & 0x7FF, p = bit 11 (for the following vectors)
//   0x4 VECT_12      events at base_x + i for each set bit i of w & 0xFFF; then base_x += 12
//   0x5 VECT_8       likewise with w & 0xFF; base_x += 8
//   0x6 TIME_LOW     t[11:0]  = w & 0xFFF
//   0x8 TIME_HIGH    t[23:12] = w & 0xFFF; each decrease of TIME_HIGH counts a 2^24 µs wrap
//   others (0x7 CONTINUED_4, 0xA EXT_TRIGGER, 0xE OTHERS, 0xF CONTINUED_12, ...) are skipped.
// Events before the first TIME_HIGH have no time base and are dropped. A word can produce up
// to 12 events; those beyond read()'s max_events wait in a carry buffer.
#include <bit>

#include "reader_common.hpp"
#include "reader_factories.hpp"

namespace soma::readers {
namespace {

constexpr size_t kBlockWords = 8192;

class Evt3Reader final : public EventReader {
 public:
  Evt3Reader(const std::string& path, const ReadOptions& opt) : src_(path) {
    const PropheseeHeader h = parse_prophesee_header(src_);
    size_.init(opt, h.width, h.height);
    width_ = size_.w;
    height_ = size_.h;
  }

  EventFormat format() const override { return EventFormat::kEvt3; }

  size_t read(Events& out, size_t max_events) override {
    size_t done = carry_.take(out, max_events);
    while (done < max_events) {
      if (!src_.fill(2)) {
        if (src_.avail() > 0)
          src_.fail_at(src_.offset(), "truncated 16-bit word (1 of 2 bytes)");
        break;
      }
      const size_t words = std::min(src_.avail() / 2, kBlockWords);
      const uint8_t* b = src_.data();
      size_t bound = 0;  // events this block can produce at most
      for (size_t i = 0; i < words; ++i) {
        const uint32_t w = load_le16(b + 2 * i);
        switch (w >> 12) {
          case 0x2: bound += 1; break;
          case 0x4: bound += std::popcount(w & 0xFFFu); break;
          case 0x5: bound += std::popcount(w & 0xFFu); break;
          default: break;
        }
      }
      const size_t o = grow_events(out, bound);
      const size_t got = decode(b, words, out, o);
      shrink_events(out, o + got);
      src_.consume(words * 2);
      done += got;
    }
    if (done > max_events) {
      carry_.spill(out, out.size() - (done - max_events));
      done = max_events;
    }
    width_ = size_.w;
    height_ = size_.h;
    out.width = width_;
    out.height = height_;
    return done;
  }

 private:
  size_t decode(const uint8_t* b, size_t n, Events& out, size_t o) {
    int64_t* t = out.t.data() + o;
    uint16_t* x = out.x.data() + o;
    uint16_t* y = out.y.data() + o;
    int8_t* p = out.p.data() + o;
    const uint32_t lim_x = size_.limit_x(), lim_y = size_.limit_y();
    uint32_t max_x = 0, max_y = 0;
    uint32_t cy = y_, bx = base_x_, vp = vp_;
    int64_t now = now_;
    size_t j = 0;
    for (size_t i = 0; i < n; ++i) {
      const uint32_t w = load_le16(b + 2 * i);
      switch (w >> 12) {
        case 0x0:
          cy = w & 0x7FFu;
          break;
        case 0x2: {
          if (!have_time_) break;
          const uint32_t xi = w & 0x7FFu;
          if (xi >= lim_x || cy >= lim_y) size_.fail(src_, src_.offset() + 2 * i, xi, cy);
          t[j] = now;
          x[j] = static_cast<uint16_t>(xi);
          y[j] = static_cast<uint16_t>(cy);
          p[j] = static_cast<int8_t>((w >> 11) & 1u);
          max_x = std::max(max_x, xi);
          ++j;
          max_y = std::max(max_y, cy);
          break;
        }
        case 0x3:
          bx = w & 0x7FFu;
          vp = (w >> 11) & 1u;
          break;
        case 0x4:
        case 0x5: {
          const uint32_t nbits = (w >> 12) == 0x4 ? 12 : 8;
          uint32_t mask = w & ((1u << nbits) - 1);
          if (have_time_ && mask) {
            const uint32_t last = bx + 31 - std::countl_zero(mask);
            if (last >= lim_x || cy >= lim_y) size_.fail(src_, src_.offset() + 2 * i, last, cy);
            max_x = std::max(max_x, last);
            max_y = std::max(max_y, cy);
            while (mask) {
              const uint32_t k = std::countr_zero(mask);
              mask &= mask - 1;
              t[j] = now;
              x[j] = static_cast<uint16_t>(bx + k);
              y[j] = static_cast<uint16_t>(cy);
              p[j] = static_cast<int8_t>(vp);
              ++j;
            }
          }
          bx += nbits;
          break;
        }
        case 0x6:
          time_low_ = w & 0xFFFu;
          now = wrap_ | (int64_t{time_high_} << 12) | time_low_;
          break;
        case 0x8: {
          const uint32_t th = w & 0xFFFu;
          if (have_time_ && th < time_high_) wrap_ += int64_t{1} << 24;
          time_high_ = th;
          have_time_ = true;
          now = wrap_ | (int64_t{time_high_} << 12) | time_low_;
          break;
        }
        default:
          break;
      }
    }
    y_ = cy;
    base_x_ = bx;
    vp_ = vp;
    now_ = now;
    if (j) size_.grow(max_x, max_y);
    return j;
  }

  ByteSource src_;
  SizeRule size_;
  Carry carry_;
  bool have_time_ = false;
  uint32_t y_ = 0, base_x_ = 0, vp_ = 0, time_low_ = 0, time_high_ = 0;
  int64_t wrap_ = 0, now_ = 0;
};

}  // namespace

std::unique_ptr<EventReader> make_evt3_reader(const std::string& path, const ReadOptions& opt) {
  return std::make_unique<Evt3Reader>(path, opt);
}

}  // namespace soma::readers
