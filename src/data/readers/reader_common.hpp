// Helpers shared by the event readers (internal): header lines, sensor-size bookkeeping, and a
// carry buffer for events decoded past a read() call's max_events.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>

#include "byte_source.hpp"
#include "soma/data/readers/event_reader.hpp"

namespace soma::readers {

constexpr size_t kMaxHeaderLine = size_t{1} << 16;
constexpr uint64_t kMaxHeaderBytes = uint64_t{16} << 20;

// If the next byte is `lead`, reads one header line (without the trailing "\r\n" / "\n") into
// `line`, consumes it and returns true; otherwise returns false. Lines are capped at 64 KiB and
// the whole header at 16 MiB (IoError beyond).
bool next_header_line(ByteSource& src, char lead, std::string& line);

// Prophesee '%' header (DAT, EVT 2.0, EVT 3.0). Geometry from "% geometry WxH",
// "% Width W"/"% Height H", "% format EVTx;height=H;width=W", or the plugin name (gen3* ->
// 640x480, gen4*/imx636 -> 1280x720); 0 if none of them is present.
struct PropheseeHeader {
  uint16_t width = 0, height = 0;
  std::string format_line;  // e.g. "evt 3.0" or "format evt3;height=720;width=1280", lowercased
  bool has_dat_version = false;
};
PropheseeHeader parse_prophesee_header(ByteSource& src);

// The sensor-size rule of event_reader.hpp: declared by ReadOptions (fixed), else from the
// header (fixed), else grown to max coordinate + 1.
struct SizeRule {
  uint16_t w = 0, h = 0;
  bool grow_w = true, grow_h = true;
  void init(const ReadOptions& opt, uint16_t header_w, uint16_t header_h) {
    w = opt.width ? opt.width : header_w;
    h = opt.height ? opt.height : header_h;
    grow_w = w == 0;
    grow_h = h == 0;
  }
  // Fixed limits for inline checks (a grown dimension accepts anything representable).
  uint32_t limit_x() const { return grow_w ? 0xFFFFu : w; }
  uint32_t limit_y() const { return grow_h ? 0xFFFFu : h; }
  bool ok(uint32_t x, uint32_t y) const { return x < limit_x() && y < limit_y(); }
  void grow(uint32_t max_x, uint32_t max_y) {
    if (grow_w) w = static_cast<uint16_t>(std::max<uint32_t>(w, max_x + 1));
    if (grow_h) h = static_cast<uint16_t>(std::max<uint32_t>(h, max_y + 1));
  }
  [[noreturn]] void fail(const ByteSource& src, uint64_t off, uint32_t x, uint32_t y) const {
    src.fail_at(off, "event (x=", x, ", y=", y, ") outside the sensor ",
                grow_w ? std::string("?") : std::to_string(w), "x",
                grow_h ? std::string("?") : std::to_string(h));
  }
};

// Events decoded beyond the caller's max_events wait here for the next read() call.
struct Carry {
  Events ev;
  size_t pos = 0;
  bool empty() const { return pos >= ev.size(); }
  // Appends up to max carried events to out; returns how many.
  size_t take(Events& out, size_t max) {
    const size_t n = std::min(max, ev.size() - pos);
    out.t.insert(out.t.end(), ev.t.begin() + pos, ev.t.begin() + pos + n);
    out.x.insert(out.x.end(), ev.x.begin() + pos, ev.x.begin() + pos + n);
    out.y.insert(out.y.end(), ev.y.begin() + pos, ev.y.begin() + pos + n);
    out.p.insert(out.p.end(), ev.p.begin() + pos, ev.p.begin() + pos + n);
    pos += n;
    if (empty()) {
      ev.clear();
      pos = 0;
    }
    return n;
  }
  // Moves out's events from index keep onwards into the (empty) carry.
  void spill(Events& out, size_t keep) {
    if (out.size() <= keep) return;
    ev.t.assign(out.t.begin() + keep, out.t.end());
    ev.x.assign(out.x.begin() + keep, out.x.end());
    ev.y.assign(out.y.begin() + keep, out.y.end());
    ev.p.assign(out.p.begin() + keep, out.p.end());
    pos = 0;
    shrink_events(out, keep);
  }
};

}  // namespace soma::readers
