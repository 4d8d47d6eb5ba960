// AEDAT 3.1 reader: layout and conventions in soma/data/readers/aedat31.hpp.
#include "reader_common.hpp"
#include "reader_factories.hpp"

namespace soma::readers {
namespace {

constexpr size_t kPacketHeader = 28;
constexpr uint16_t kPolarityType = 1;

class Aedat31Reader final : public EventReader {
 public:
  Aedat31Reader(const std::string& path, const ReadOptions& opt) : src_(path) {
    std::string line;
    if (!next_header_line(src_, '#', line) || line.rfind("#!AER-DAT3.", 0) != 0)
      src_.fail_at(0, "not an AEDAT 3.x file (expected the first line '#!AER-DAT3.1')");
    uint16_t hw = 0, hh = 0;
    while (next_header_line(src_, '#', line)) {
      if (line.rfind("#Source", 0) == 0) {
        if (line.find("DVS128") != std::string::npos) hw = 128, hh = 128;
        else if (line.find("DAVIS240") != std::string::npos) hw = 240, hh = 180;
        else if (line.find("DAVIS346") != std::string::npos) hw = 346, hh = 260;
      }
      if (line.rfind("#soma-sensor:", 0) == 0) {
        unsigned w = 0, h = 0;
        if (std::sscanf(line.c_str() + 13, " %ux%u", &w, &h) == 2 && w && h && w <= 0xFFFF &&
            h <= 0xFFFF)
          hw = static_cast<uint16_t>(w), hh = static_cast<uint16_t>(h);
      }
      if (line.rfind("#!END-HEADER", 0) == 0) break;
    }
    size_.init(opt, hw, hh);
    width_ = size_.w;
    height_ = size_.h;
  }

  EventFormat format() const override { return EventFormat::kAedat31; }

  size_t read(Events& out, size_t max_events) override {
    size_t done = 0;
    while (done < max_events) {
      if (remaining_ == 0 && !next_polarity_packet()) break;
      if (!src_.fill(8))
        src_.fail_at(src_.offset(), "truncated event record (", src_.avail(), " of 8 bytes)");
      const size_t n = std::min({src_.avail() / 8, max_events - done, remaining_});
      const size_t o = grow_events(out, n);
      const size_t kept = decode(src_.data(), n, out, o);
      shrink_events(out, o + kept);
      src_.consume(n * 8);
      remaining_ -= n;
      done += kept;
    }
    width_ = size_.w;
    height_ = size_.h;
    out.width = width_;
    out.height = height_;
    return done;
  }

 private:
  // Reads packet headers, skipping non-polarity packets; false at the end of the file.
  bool next_polarity_packet() {
    for (;;) {
      if (!src_.fill(kPacketHeader)) {
        if (src_.avail() == 0) return false;
        src_.fail_at(src_.offset(), "truncated packet header (", src_.avail(), " of ",
                     kPacketHeader, " bytes)");
      }
      const uint8_t* h = src_.data();
      const uint64_t at = src_.offset();
      const uint16_t type = load_le16(h);
      const uint32_t size = load_le32(h + 4), ts_off = load_le32(h + 8);
      const uint32_t capacity = load_le32(h + 16), number = load_le32(h + 20);
      overflow_ = load_le32(h + 12);
      if (number > capacity)
        src_.fail_at(at, "packet header: eventNumber ", number, " > eventCapacity ", capacity);
      const uint64_t bytes = uint64_t{capacity} * size;
      const uint64_t left = src_.file_size() - (at + kPacketHeader);
      if (bytes > left)
        src_.fail_at(at, "truncated packet: its header announces ", capacity, " events of ",
                     size, " bytes, only ", left, " bytes follow");
      src_.consume(kPacketHeader);
      if (type == kPolarityType) {
        if (size != 8 || ts_off != 4)
          src_.fail_at(at, "polarity packet with eventSize ", size, " and eventTSOffset ", ts_off,
                       " (expected 8 and 4)");
        if (capacity == 0) continue;
        remaining_ = capacity;
        return true;
      }
      uint64_t skip = bytes;  // other event types: skip without buffering
      while (skip > 0) {
        src_.fill(1);
        const size_t k = static_cast<size_t>(std::min<uint64_t>(skip, src_.avail()));
        src_.consume(k);
        skip -= k;
      }
    }
  }

  size_t decode(const uint8_t* b, size_t n, Events& out, size_t o) {
    int64_t* t = out.t.data() + o;
    uint16_t* x = out.x.data() + o;
    uint16_t* y = out.y.data() + o;
    int8_t* p = out.p.data() + o;
    const int64_t hi = int64_t{overflow_} << 31;
    uint32_t max_x = 0, max_y = 0;
    size_t j = 0;
    for (size_t i = 0; i < n; ++i, b += 8) {
      const uint32_t d = load_le32(b);
      if (!(d & 1u)) continue;  // invalidated event
      const uint32_t xi = (d >> 17) & 0x1FFFu, yi = (d >> 2) & 0x1FFFu;
      t[j] = hi | load_le32(b + 4);
      x[j] = static_cast<uint16_t>(xi);
      y[j] = static_cast<uint16_t>(yi);
      p[j] = static_cast<int8_t>((d >> 1) & 1u);
      max_x = std::max(max_x, xi);
      max_y = std::max(max_y, yi);
      ++j;
    }
    if (max_x >= size_.limit_x() || max_y >= size_.limit_y()) {
      b = src_.data();
      for (size_t i = 0; i < n; ++i, b += 8) {
        const uint32_t d = load_le32(b);
        const uint32_t xi = (d >> 17) & 0x1FFFu, yi = (d >> 2) & 0x1FFFu;
        if ((d & 1u) && !size_.ok(xi, yi)) size_.fail(src_, src_.offset() + i * 8, xi, yi);
      }
    }
    if (j) size_.grow(max_x, max_y);
    return j;
  }

  ByteSource src_;
  SizeRule size_;
  size_t remaining_ = 0;
  uint32_t overflow_ = 0;
};

}  // namespace

std::unique_ptr<EventReader> make_aedat31_reader(const std::string& path,
                                                 const ReadOptions& opt) {
  return std::make_unique<Aedat31Reader>(path, opt);
}

}  // namespace soma::readers
