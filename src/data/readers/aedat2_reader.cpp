// jAER AER-DAT 2.0 reader (DVS128 addresses).
//
// Header: '#' lines, the first "#!AER-DAT2.0"; it ends after "#End Of ASCII Header" if that line
// is present, else at the first byte that is not '#' at the start of a line (a body whose first
// byte is 0x23 is therefore only readable with the end line, as jAER writes since ~2010).
// Body: 8-byte big-endian records (uint32 address, uint32 timestamp in µs).
// DVS128 address: bit 0 raw polarity, bits 1-7 raw x, bits 8-14 y, bit 15 external event
// (skipped); any of bits 16-31 set is reported as corrupt. Convention (ReadOptions):
//   p = aedat2_invert_polarity ? 1 - raw : raw      (jAER: raw 0 = ON; default on)
//   x = aedat2_mirror_x ? 127 - raw_x : raw_x       (jAER display orientation; default on)
// The 32-bit timestamp is unwrapped (+2^32 when it drops by more than 2^31). Sensor 128x128.
// DAVIS chips (AEChip ...Davis...) use another address layout: a DAVIS file with events throws
// NotImplementedError (an empty one reads as 0 events).
#include "reader_common.hpp"
#include "reader_factories.hpp"

namespace soma::readers {
namespace {

constexpr size_t kRec = 8;

class Aedat2Reader final : public EventReader {
 public:
  Aedat2Reader(const std::string& path, const ReadOptions& opt)
      : src_(path), invert_(opt.aedat2_invert_polarity), mirror_(opt.aedat2_mirror_x) {
    std::string line;
    if (!next_header_line(src_, '#', line) || line.rfind("#!AER-DAT2.", 0) != 0)
      src_.fail_at(0, "not an AEDAT 2.0 file (expected the first line '#!AER-DAT2.0')");
    while (next_header_line(src_, '#', line)) {
      if (line.find("AEChip:") != std::string::npos && line.find("Davis") != std::string::npos)
        davis_ = true;
      if (line.rfind("#End Of ASCII Header", 0) == 0) break;
    }
    size_.init(opt, 128, 128);
    width_ = size_.w;
    height_ = size_.h;
  }

  EventFormat format() const override { return EventFormat::kAedat2; }

  size_t read(Events& out, size_t max_events) override {
    size_t done = 0;
    while (done < max_events) {
      if (!src_.fill(kRec)) {
        if (src_.avail() > 0)
          src_.fail_at(src_.offset(), "truncated event record (", src_.avail(), " of ", kRec,
                       " bytes)");
        break;
      }
      if (davis_)
        throw NotImplementedError(str_cat(src_.path(), ": byte ", src_.offset(),
                                          ": DAVIS AEDAT 2.0 addresses are not supported"));
      const size_t n = std::min(src_.avail() / kRec, max_events - done);
      const size_t o = grow_events(out, n);
      const size_t kept = decode(src_.data(), n, out, o);
      shrink_events(out, o + kept);
      src_.consume(n * kRec);
      done += kept;
    }
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
    const uint32_t pol_xor = invert_ ? 1u : 0u;
    const uint32_t x_xor = mirror_ ? 127u : 0u;  // 127 - v == 127 ^ v for 7-bit v
    uint32_t prev = prev_t_;
    int64_t wrap = wrap_;
    uint32_t bad = 0, max_x = 0, max_y = 0;
    size_t j = 0;
    for (size_t i = 0; i < n; ++i, b += kRec) {
      const uint32_t a = load_be32(b);
      const uint32_t ts = load_be32(b + 4);
      wrap += int64_t{prev > ts && prev - ts > 0x80000000u} << 32;
      prev = ts;
      bad |= a >> 16;
      if (a & 0x8000u) continue;  // external event (not a pixel)
      const uint32_t xi = ((a >> 1) & 0x7Fu) ^ x_xor;
      const uint32_t yi = (a >> 8) & 0x7Fu;
      t[j] = wrap + ts;
      x[j] = static_cast<uint16_t>(xi);
      y[j] = static_cast<uint16_t>(yi);
      p[j] = static_cast<int8_t>((a & 1u) ^ pol_xor);
      max_x = std::max(max_x, xi);
      max_y = std::max(max_y, yi);
      ++j;
    }
    prev_t_ = prev;
    wrap_ = wrap;
    if (bad || max_x >= size_.limit_x() || max_y >= size_.limit_y()) report(n);
    return j;
  }

  // Slow path: finds the first bad record of the current window and throws.
  [[noreturn]] void report(size_t n) const {
    const uint8_t* b = src_.data();
    for (size_t i = 0; i < n; ++i, b += kRec) {
      const uint32_t a = load_be32(b);
      const uint64_t off = src_.offset() + i * kRec;
      if (a >> 16)
        src_.fail_at(off, "address 0x", std::hex, a, std::dec,
                     " has bits above 15 set (not a DVS128 address; corrupt or misaligned data)");
      if (a & 0x8000u) continue;
      const uint32_t xi = ((a >> 1) & 0x7Fu) ^ (mirror_ ? 127u : 0u);
      const uint32_t yi = (a >> 8) & 0x7Fu;
      if (!size_.ok(xi, yi)) size_.fail(src_, off, xi, yi);
    }
    throw InternalError("aedat2: bad record not found");
  }

  ByteSource src_;
  bool invert_, mirror_;
  bool davis_ = false;
  SizeRule size_;
  uint32_t prev_t_ = 0;
  int64_t wrap_ = 0;
};

}  // namespace

std::unique_ptr<EventReader> make_aedat2_reader(const std::string& path, const ReadOptions& opt) {
  return std::make_unique<Aedat2Reader>(path, opt);
}

}  // namespace soma::readers
