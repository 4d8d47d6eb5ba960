// Prophesee EVT 2.0 `.raw` reader.
//
// '%' header (geometry: reader_common.hpp), then little-endian uint32 words, type = w >> 28:
//   0x0 CD_OFF, 0x1 CD_ON: ts_low = (w >> 22) & 0x3F, x = (w >> 11) & 0x7FF, y = w & 0x7FF
//   0x8 EV_TIME_HIGH: ts_high = w & 0x0FFFFFFF;  t = ts_high << 6 | ts_low  (µs, 34 bits)
//   other types (0xA EXT_TRIGGER, 0xE OTHERS, 0xF CONTINUED, reserved) are skipped.
// CD words before the first EV_TIME_HIGH have no time base and are dropped. A drop of
// ts_high by more than half its range counts a 2^34 µs wrap.
#include "reader_common.hpp"
#include "reader_factories.hpp"

namespace soma::readers {
namespace {

class Evt2Reader final : public EventReader {
 public:
  Evt2Reader(const std::string& path, const ReadOptions& opt) : src_(path) {
    const PropheseeHeader h = parse_prophesee_header(src_);
    size_.init(opt, h.width, h.height);
    width_ = size_.w;
    height_ = size_.h;
  }

  EventFormat format() const override { return EventFormat::kEvt2; }

  size_t read(Events& out, size_t max_events) override {
    size_t done = 0;
    while (done < max_events) {
      if (!src_.fill(4)) {
        if (src_.avail() > 0)
          src_.fail_at(src_.offset(), "truncated 32-bit word (", src_.avail(), " of 4 bytes)");
        break;
      }
      // A block of words; each yields at most one event, so the block bounds the growth.
      const size_t words = std::min(src_.avail() / 4, max_events - done);
      const size_t o = grow_events(out, words);
      const size_t got = decode(src_.data(), words, out, o);
      shrink_events(out, o + got);
      src_.consume(words * 4);
      done += got;
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
    size_t j = 0;
    for (size_t i = 0; i < n; ++i, b += 4) {
      const uint32_t w = load_le32(b);
      const uint32_t type = w >> 28;
      if (type <= 1) {
        if (!have_time_) continue;
        const uint32_t xi = (w >> 11) & 0x7FFu, yi = w & 0x7FFu;
        if (xi >= lim_x || yi >= lim_y) size_.fail(src_, src_.offset() + i * 4, xi, yi);
        t[j] = time_high_ | ((w >> 22) & 0x3F);
        x[j] = static_cast<uint16_t>(xi);
        y[j] = static_cast<uint16_t>(yi);
        p[j] = static_cast<int8_t>(type);
        max_x = std::max(max_x, xi);
        max_y = std::max(max_y, yi);
        ++j;
      } else if (type == 0x8) {
        const uint32_t th = w & 0x0FFFFFFFu;
        if (have_time_ && prev_th_ > th && prev_th_ - th > 0x08000000u) wrap_ += int64_t{1} << 34;
        prev_th_ = th;
        have_time_ = true;
        time_high_ = wrap_ + (int64_t{th} << 6);
      }
    }
    if (j) size_.grow(max_x, max_y);
    return j;
  }

  ByteSource src_;
  SizeRule size_;
  bool have_time_ = false;
  uint32_t prev_th_ = 0;
  int64_t wrap_ = 0, time_high_ = 0;
};

}  // namespace

std::unique_ptr<EventReader> make_evt2_reader(const std::string& path, const ReadOptions& opt) {
  return std::make_unique<Evt2Reader>(path, opt);
}

}  // namespace soma::readers
