// Prophesee / N-CARS `.dat` (v2) reader.
//
// '%' header lines (geometry from "% Width"/"% Height"/"% geometry", see reader_common.hpp),
// then 2 bytes: event type (0 = 2-D CD events; 0x0C also accepted, as newer writers use it)
// and event size (8). Then 8-byte little-endian records: uint32 t (µs), uint32 w with
// x = w & 0x3FFF, y = (w >> 14) & 0x3FFF, p = w >> 28 (1 = ON, 0 = OFF; other values are corrupt).
// The 32-bit t is unwrapped (+2^32 when it drops by more than 2^31).
#include "reader_common.hpp"
#include "reader_factories.hpp"

namespace soma::readers {
namespace {

constexpr size_t kRec = 8;

class DatReader final : public EventReader {
 public:
  DatReader(const std::string& path, const ReadOptions& opt) : src_(path) {
    if (!src_.fill(1) || src_.data()[0] != '%')
      src_.fail_at(0, "not a Prophesee DAT file (expected a '%' header)");
    const PropheseeHeader h = parse_prophesee_header(src_);
    const uint64_t at = src_.offset();
    if (!src_.fill(2))
      src_.fail_at(at, "missing the 2-byte event type/size after the header");
    const uint8_t type = src_.data()[0], size = src_.data()[1];
    if ((type != 0 && type != 0x0C) || size != kRec)
      src_.fail_at(at, "unsupported DAT event type ", int{type}, " / size ", int{size},
                   " (expected CD events: type 0, size 8)");
    src_.consume(2);
    size_.init(opt, h.width, h.height);
    width_ = size_.w;
    height_ = size_.h;
  }

  EventFormat format() const override { return EventFormat::kPropheseeDat; }

  size_t read(Events& out, size_t max_events) override {
    size_t done = 0;
    while (done < max_events) {
      if (!src_.fill(kRec)) {
        if (src_.avail() > 0)
          src_.fail_at(src_.offset(), "truncated event record (", src_.avail(), " of ", kRec,
                       " bytes)");
        break;
      }
      const size_t n = std::min(src_.avail() / kRec, max_events - done);
      const size_t o = grow_events(out, n);
      decode(src_.data(), n, out, o);
      src_.consume(n * kRec);
      done += n;
    }
    width_ = size_.w;
    height_ = size_.h;
    out.width = width_;
    out.height = height_;
    return done;
  }

 private:
  void decode(const uint8_t* b, size_t n, Events& out, size_t o) {
    int64_t* t = out.t.data() + o;
    uint16_t* x = out.x.data() + o;
    uint16_t* y = out.y.data() + o;
    int8_t* p = out.p.data() + o;
    uint32_t prev = prev_t_, max_x = 0, max_y = 0, max_p = 0;
    int64_t wrap = wrap_;
    for (size_t i = 0; i < n; ++i, b += kRec) {
      const uint32_t ts = load_le32(b), w = load_le32(b + 4);
      wrap += int64_t{prev > ts && prev - ts > 0x80000000u} << 32;
      prev = ts;
      const uint32_t xi = w & 0x3FFFu, yi = (w >> 14) & 0x3FFFu, pi = w >> 28;
      t[i] = wrap + ts;
      x[i] = static_cast<uint16_t>(xi);
      y[i] = static_cast<uint16_t>(yi);
      p[i] = static_cast<int8_t>(pi);
      max_x = std::max(max_x, xi);
      max_y = std::max(max_y, yi);
      max_p = std::max(max_p, pi);
    }
    prev_t_ = prev;
    wrap_ = wrap;
    if (max_p > 1 || max_x >= size_.limit_x() || max_y >= size_.limit_y()) {
      b = src_.data();
      for (size_t i = 0; i < n; ++i, b += kRec) {
        const uint32_t w = load_le32(b + 4);
        const uint32_t xi = w & 0x3FFFu, yi = (w >> 14) & 0x3FFFu;
        if ((w >> 28) > 1)
          src_.fail_at(src_.offset() + i * kRec, "polarity ", (w >> 28),
                       " is not 0 or 1 (corrupt record)");
        if (!size_.ok(xi, yi)) size_.fail(src_, src_.offset() + i * kRec, xi, yi);
      }
    }
    if (n) size_.grow(max_x, max_y);
  }

  ByteSource src_;
  SizeRule size_;
  uint32_t prev_t_ = 0;
  int64_t wrap_ = 0;
};

}  // namespace

std::unique_ptr<EventReader> make_dat_reader(const std::string& path, const ReadOptions& opt) {
  return std::make_unique<DatReader>(path, opt);
}

}  // namespace soma::readers
