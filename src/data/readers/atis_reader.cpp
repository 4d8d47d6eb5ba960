// ATIS 40-bit events (N-MNIST / N-Caltech101 .bin, SLAYER .bs2) and SLAYER 1-D .bs1.
//
// Record (5 bytes, big-endian bit order, no header):
//   .bin/.bs2  bits 39-32 x, 31-24 y, 23 p (1 = ON), 22-0 t µs
//   .bs1       bits 39-24 channel (x; y = 0), 23 p, 22-0 t µs
// The 23-bit timestamp wraps every 2^23 µs (8.39 s; N-Caltech101 recordings can pass it): a
// drop of more than 2^22 µs from the previous raw timestamp counts one wrap and adds 2^23 from
// then on; smaller drops are kept as they are (sensor jitter, never seen in N-MNIST).
#include <algorithm>

#include "byte_source.hpp"
#include "reader_factories.hpp"

namespace soma::readers {
namespace {

constexpr size_t kRec = 5;
constexpr uint32_t kTsBits = 23;
constexpr uint32_t kTsMask = (1u << kTsBits) - 1;
constexpr uint32_t kWrapDrop = 1u << (kTsBits - 1);

class AtisReader final : public EventReader {
 public:
  AtisReader(const std::string& path, const ReadOptions& opt, bool one_d)
      : src_(path), one_d_(one_d), declared_w_(opt.width), declared_h_(opt.height) {
    width_ = declared_w_;
    height_ = one_d_ ? 1 : declared_h_;
    if (one_d_ && declared_h_ > 1)
      throw IoError(str_cat(path, ": a 1-D .bs1 file has height 1, not the declared ",
                            declared_h_));
  }

  EventFormat format() const override {
    return one_d_ ? EventFormat::kSlayerBs1 : EventFormat::kAtisBin;
  }

  size_t read(Events& out, size_t max_events) override {
    size_t done = 0;
    while (done < max_events) {
      if (!src_.fill(kRec)) {
        if (src_.avail() > 0)
          src_.fail_at(src_.offset(), "truncated event record (", src_.avail(), " of ", kRec,
                       " bytes; the file size ", src_.file_size(),
                       " is not a multiple of 5)");
        break;
      }
      const size_t n = std::min(src_.avail() / kRec, max_events - done);
      const size_t o = grow_events(out, n);
      decode(src_.data(), n, out.t.data() + o, out.x.data() + o, out.y.data() + o,
             out.p.data() + o);
      src_.consume(n * kRec);
      done += n;
    }
    out.width = width_;
    out.height = height_;
    return done;
  }

 private:
  void decode(const uint8_t* b, size_t n, int64_t* t, uint16_t* x, uint16_t* y, int8_t* p) {
    uint32_t max_x = 0, max_y = 0;
    uint32_t prev = prev_raw_;
    int64_t wrap = wrap_base_;
    for (size_t i = 0; i < n; ++i, b += kRec) {
      const uint32_t raw = (uint32_t{b[2]} << 16 | uint32_t{b[3]} << 8 | b[4]) & kTsMask;
      // Branch-free unwrap: adds 2^23 exactly when the clock dropped by more than 2^22.
      wrap += int64_t{raw + kWrapDrop < prev} << kTsBits;
      prev = raw;
      t[i] = wrap + raw;
      p[i] = static_cast<int8_t>(b[2] >> 7);
      uint32_t xi, yi;
      if (one_d_) {
        xi = uint32_t{b[0]} << 8 | b[1];
        yi = 0;
      } else {
        xi = b[0];
        yi = b[1];
      }
      x[i] = static_cast<uint16_t>(xi);
      y[i] = static_cast<uint16_t>(yi);
      max_x = std::max(max_x, xi);
      max_y = std::max(max_y, yi);
    }
    prev_raw_ = prev;
    wrap_base_ = wrap;
    check_size(x, y, n, max_x, max_y);
  }

  // Grows the inferred size, or reports the first event outside a declared size.
  void check_size(const uint16_t* x, const uint16_t* y, size_t n, uint32_t max_x,
                  uint32_t max_y) {
    const bool bad_x = (declared_w_ && max_x >= declared_w_) || max_x >= 0xFFFF;
    const bool bad_y = declared_h_ && !one_d_ && max_y >= declared_h_;
    if (bad_x || bad_y) {
      for (size_t i = 0; i < n; ++i)
        if ((declared_w_ && x[i] >= declared_w_) || x[i] == 0xFFFF ||
            (bad_y && y[i] >= declared_h_))
          src_.fail_at(src_.offset() + i * kRec, "event (x=", x[i], ", y=", y[i],
                       ") outside the declared sensor ", declared_w_, "x",
                       one_d_ ? 1 : declared_h_);
    }
    if (!declared_w_ && n) width_ = std::max<uint32_t>(width_, max_x + 1);
    if (!declared_h_ && !one_d_ && n) height_ = std::max<uint32_t>(height_, max_y + 1);
  }

  ByteSource src_;
  bool one_d_;
  uint16_t declared_w_, declared_h_;
  uint32_t prev_raw_ = 0;
  int64_t wrap_base_ = 0;
};

}  // namespace

std::unique_ptr<EventReader> make_atis_reader(const std::string& path, const ReadOptions& opt) {
  return std::make_unique<AtisReader>(path, opt, false);
}
std::unique_ptr<EventReader> make_bs1_reader(const std::string& path, const ReadOptions& opt) {
  return std::make_unique<AtisReader>(path, opt, true);
}

}  // namespace soma::readers
