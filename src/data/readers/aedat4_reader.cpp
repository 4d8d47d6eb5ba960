// AEDAT 4.0 reader (polarity events of EVTS streams).
//
// Layout: "#!AER-DAT4.0\r\n", uint32 LE N, an N-byte FlatBuffer (identifier "IOHE") with
// field 0 compression (int32: 0 none, 1/2 LZ4, 3/4 Zstd), field 1 data-table position (int64,
// -1 or absent = none) and field 2 an XML description with one <node name="<id>"> per stream
// (typeIdentifier EVTS/FRME/IMUS/TRIG, sizeX, sizeY). Then packets up to the data table (or the
// end of the file): int32 LE stream id, int32 LE byte count, the (compressed) payload. An EVTS
// payload decompresses to a size-prefixed FlatBuffer "EVTS" whose root table's field 0 is a
// vector of 16-byte structs {int64 t; int16 x; int16 y; bool on; pad 3}. Other streams are
// skipped. Sensor size = the EVTS node's sizeX x sizeY. t is stored as is (Unix-epoch µs).
// All FlatBuffer offsets are bounds-checked; packets above 256 MiB compressed or 1 GiB
// decompressed are rejected as corrupt.
#include <lz4frame.h>
#include <zstd.h>

#include <cstring>
#include <set>
#include <vector>

#include "reader_common.hpp"
#include "reader_factories.hpp"

namespace soma::readers {
namespace {

constexpr size_t kMagic = 14;
constexpr uint32_t kMaxHeaderFb = 16u << 20;
constexpr size_t kMaxPacket = size_t{256} << 20;
constexpr size_t kMaxDecompressed = size_t{1} << 30;

// A bounds-checked view of one FlatBuffer; errors name the file offset `where`.
class FbView {
 public:
  FbView(const uint8_t* d, size_t n, const ByteSource& src, uint64_t where, const char* what)
      : d_(d), n_(n), src_(src), where_(where), what_(what) {}
  uint32_t u32(size_t pos) const {
    need(pos, 4);
    return load_le32(d_ + pos);
  }
  uint16_t u16(size_t pos) const {
    need(pos, 2);
    return load_le16(d_ + pos);
  }
  int64_t i64(size_t pos) const {
    need(pos, 8);
    return static_cast<int64_t>(load_le64(d_ + pos));
  }
  // Absolute position of field `idx` of the table at `table`, or 0 if absent.
  size_t field(size_t table, int idx) const {
    const int64_t vt = static_cast<int64_t>(table) - static_cast<int32_t>(u32(table));
    if (vt < 0 || static_cast<uint64_t>(vt) + 4 > n_) bad("vtable offset out of range");
    const uint16_t vt_len = u16(static_cast<size_t>(vt));
    if (vt_len < 4 || static_cast<size_t>(vt) + vt_len > n_) bad("vtable length out of range");
    if (4 + 2 * static_cast<size_t>(idx) + 2 > vt_len) return 0;
    const uint16_t off = u16(static_cast<size_t>(vt) + 4 + 2 * idx);
    if (off == 0) return 0;
    need(table + off, 1);
    return table + off;
  }
  // Follows a uoffset stored at pos.
  size_t deref(size_t pos) const {
    const uint64_t tgt = uint64_t{pos} + u32(pos);
    if (tgt >= n_) bad("offset out of range");
    return static_cast<size_t>(tgt);
  }
  void need(size_t pos, size_t len) const {
    if (pos > n_ || len > n_ - pos) bad("read of ", len, " bytes at ", pos, " outside ", n_);
  }
  template <typename... A>
  [[noreturn]] void bad(A&&... a) const {
    src_.fail_at(where_, "corrupt ", what_, ": ", std::forward<A>(a)...);
  }
  const uint8_t* data() const { return d_; }
  size_t size() const { return n_; }

 private:
  const uint8_t* d_;
  size_t n_;
  const ByteSource& src_;
  uint64_t where_;
  const char* what_;
};

// Value of attribute `key` inside [b, e) of the XML description ("" if absent).
std::string xml_attr(const std::string& s, size_t b, size_t e, const std::string& key) {
  const size_t k = s.find("key=\"" + key + "\"", b);
  if (k == std::string::npos || k >= e) return "";
  const size_t gt = s.find('>', k), lt = s.find('<', k);
  if (gt == std::string::npos || lt == std::string::npos || lt < gt) return "";
  return s.substr(gt + 1, lt - gt - 1);
}

uint16_t to_dim(const std::string& v) {
  char* end = nullptr;
  const long x = std::strtol(v.c_str(), &end, 10);
  return (end && *end == '\0' && x > 0 && x <= 0xFFFF) ? static_cast<uint16_t>(x) : 0;
}

class Aedat4Reader final : public EventReader {
 public:
  Aedat4Reader(const std::string& path, const ReadOptions& opt) : src_(path) {
    if (!src_.fill(kMagic + 4) || std::memcmp(src_.data(), "#!AER-DAT4.0\r\n", kMagic) != 0)
      src_.fail_at(0, "not an AEDAT 4.0 file (expected '#!AER-DAT4.0\\r\\n')");
    const uint32_t n = load_le32(src_.data() + kMagic);
    if (n > kMaxHeaderFb || kMagic + 4 + uint64_t{n} > src_.file_size())
      src_.fail_at(kMagic, "header length ", n, " exceeds the file (", src_.file_size(),
                   " bytes) or the 16 MiB limit");
    src_.consume(kMagic + 4);
    if (!src_.fill(n)) src_.fail_at(kMagic + 4, "truncated header");
    parse_header(FbView(src_.data(), n, src_, kMagic + 4, "AEDAT4 header FlatBuffer"));
    src_.consume(n);
    size_.init(opt, hw_, hh_);
    width_ = size_.w;
    height_ = size_.h;
    lz4_ok_ = !LZ4F_isError(LZ4F_createDecompressionContext(&lz4_, LZ4F_VERSION));
    zstd_ = ZSTD_createDCtx();
    SOMA_ASSERT(lz4_ok_ && zstd_, "cannot create decompression contexts");
  }
  ~Aedat4Reader() override {
    if (lz4_ok_) LZ4F_freeDecompressionContext(lz4_);
    if (zstd_) ZSTD_freeDCtx(zstd_);
  }

  EventFormat format() const override { return EventFormat::kAedat4; }

  size_t read(Events& out, size_t max_events) override {
    size_t done = carry_.take(out, max_events);
    while (done < max_events && next_evts_packet()) done += decode_packet(out);
    if (done > max_events) {
      carry_.spill(out, out.size() - (done - max_events));
      done = max_events;
    }
    out.width = width_ = size_.w;
    out.height = height_ = size_.h;
    return done;
  }

 private:
  void parse_header(const FbView& fb) {
    const size_t root = fb.deref(0);
    fb.need(4, 4);
    if (std::memcmp(fb.data() + 4, "IOHE", 4) != 0) fb.bad("identifier is not 'IOHE'");
    if (size_t f = fb.field(root, 0)) compression_ = static_cast<int32_t>(fb.u32(f));
    if (compression_ < 0 || compression_ > 4) fb.bad("unknown compression ", compression_);
    if (size_t f = fb.field(root, 1)) table_pos_ = fb.i64(f);
    const size_t f2 = fb.field(root, 2);
    if (!f2) fb.bad("no stream description");
    const size_t s = fb.deref(f2);
    const uint32_t len = fb.u32(s);
    fb.need(s + 4, len);
    const std::string xml(reinterpret_cast<const char*>(fb.data() + s + 4), len);
    // Streams: <node name="<digits>" ...> up to the next such node.
    std::vector<std::pair<size_t, int>> nodes;
    for (size_t k = xml.find("<node name=\""); k != std::string::npos;
         k = xml.find("<node name=\"", k + 1)) {
      const size_t b = k + 12, e = xml.find('"', b);
      if (e == std::string::npos || e == b || e - b > 9) continue;
      if (xml.find_first_not_of("0123456789", b) < e) continue;
      nodes.emplace_back(k, std::stoi(xml.substr(b, e - b)));
    }
    for (size_t i = 0; i < nodes.size(); ++i) {
      const size_t b = nodes[i].first;
      const size_t e = i + 1 < nodes.size() ? nodes[i + 1].first : xml.size();
      if (xml_attr(xml, b, e, "typeIdentifier") != "EVTS") continue;
      evts_.insert(nodes[i].second);
      hw_ = std::max(hw_, to_dim(xml_attr(xml, b, e, "sizeX")));
      hh_ = std::max(hh_, to_dim(xml_attr(xml, b, e, "sizeY")));
    }
  }

  // Advances to the next EVTS packet and decompresses it into dec_; false at the end.
  bool next_evts_packet() {
    for (;;) {
      const uint64_t at = src_.offset();
      if (table_pos_ > 0 && at >= static_cast<uint64_t>(table_pos_)) return false;
      if (!src_.fill(8)) {
        if (src_.avail() == 0) return false;
        src_.fail_at(at, "truncated packet header (", src_.avail(), " of 8 bytes)");
      }
      const int32_t stream = static_cast<int32_t>(load_le32(src_.data()));
      const int32_t size = static_cast<int32_t>(load_le32(src_.data() + 4));
      const uint64_t left = src_.file_size() - at - 8;
      if (size <= 0 || static_cast<uint64_t>(size) > left || static_cast<size_t>(size) > kMaxPacket)
        src_.fail_at(at, "packet of stream ", stream, " announces ", size, " bytes, ", left,
                     " bytes follow (truncated or corrupt)");
      src_.consume(8);
      if (!evts_.count(stream)) {
        for (uint64_t skip = static_cast<uint32_t>(size); skip > 0;) {
          src_.fill(1);
          const size_t k = static_cast<size_t>(std::min<uint64_t>(skip, src_.avail()));
          src_.consume(k);
          skip -= k;
        }
        continue;
      }
      packet_at_ = at;
      src_.fill(static_cast<size_t>(size));
      decompress(src_.data(), static_cast<size_t>(size));
      src_.consume(static_cast<size_t>(size));
      return true;
    }
  }

  void decompress(const uint8_t* p, size_t n) {
    if (compression_ == 0) {
      dec_.assign(p, p + n);
      return;
    }
    dec_.resize(std::max<size_t>(dec_.capacity(), 4 * n + 4096));
    size_t used = 0, in = 0;
    if (compression_ <= 2) {
      LZ4F_resetDecompressionContext(lz4_);
      for (;;) {
        if (used == dec_.size()) grow_dec();
        size_t dst = dec_.size() - used, src = n - in;
        const size_t r = LZ4F_decompress(lz4_, dec_.data() + used, &dst, p + in, &src, nullptr);
        if (LZ4F_isError(r))
          src_.fail_at(packet_at_, "LZ4 error in packet: ", LZ4F_getErrorName(r));
        used += dst;
        in += src;
        if (r == 0) break;
        if (in == n && dst == 0) src_.fail_at(packet_at_, "truncated LZ4 frame in packet");
      }
    } else {
      ZSTD_DCtx_reset(zstd_, ZSTD_reset_session_only);
      ZSTD_inBuffer ib{p, n, 0};
      for (;;) {
        if (used == dec_.size()) grow_dec();
        ZSTD_outBuffer ob{dec_.data() + used, dec_.size() - used, 0};
        const size_t r = ZSTD_decompressStream(zstd_, &ob, &ib);
        if (ZSTD_isError(r))
          src_.fail_at(packet_at_, "Zstd error in packet: ", ZSTD_getErrorName(r));
        used += ob.pos;
        if (r == 0) break;
        if (ib.pos == ib.size && ob.pos < ob.size)
          src_.fail_at(packet_at_, "truncated Zstd frame in packet");
      }
    }
    dec_.resize(used);
  }

  void grow_dec() {
    if (dec_.size() >= kMaxDecompressed)
      src_.fail_at(packet_at_, "packet decompresses to more than ", kMaxDecompressed, " bytes");
    dec_.resize(std::min(dec_.size() * 2, kMaxDecompressed));
  }

  size_t decode_packet(Events& out) {
    FbView all(dec_.data(), dec_.size(), src_, packet_at_, "EVTS packet");
    const uint32_t len = all.u32(0);
    all.need(4, len);
    FbView fb(dec_.data() + 4, len, src_, packet_at_, "EVTS packet");
    const size_t root = fb.deref(0);
    fb.need(4, 4);
    if (std::memcmp(fb.data() + 4, "EVTS", 4) != 0) fb.bad("identifier is not 'EVTS'");
    const size_t f0 = fb.field(root, 0);
    if (!f0) return 0;
    const size_t vec = fb.deref(f0);
    const uint32_t count = fb.u32(vec);
    fb.need(vec + 4, size_t{count} * 16);
    const uint8_t* e = fb.data() + vec + 4;
    const size_t o = grow_events(out, count);
    int64_t* t = out.t.data() + o;
    uint16_t* x = out.x.data() + o;
    uint16_t* y = out.y.data() + o;
    int8_t* p = out.p.data() + o;
    const int32_t lim_x = static_cast<int32_t>(size_.limit_x());
    const int32_t lim_y = static_cast<int32_t>(size_.limit_y());
    int32_t max_x = 0, max_y = 0;
    for (uint32_t i = 0; i < count; ++i, e += 16) {
      const int32_t xi = static_cast<int16_t>(load_le16(e + 8));
      const int32_t yi = static_cast<int16_t>(load_le16(e + 10));
      if (xi < 0 || yi < 0 || xi >= lim_x || yi >= lim_y || e[12] > 1)
        src_.fail_at(packet_at_, "EVTS packet event ", i, ": (x=", xi, ", y=", yi,
                     ", on=", int{e[12]}, ") outside the ", size_.w, "x", size_.h,
                     " sensor or not a boolean");
      t[i] = static_cast<int64_t>(load_le64(e));
      x[i] = static_cast<uint16_t>(xi);
      y[i] = static_cast<uint16_t>(yi);
      p[i] = static_cast<int8_t>(e[12]);
      max_x = std::max(max_x, xi);
      max_y = std::max(max_y, yi);
    }
    if (count) size_.grow(static_cast<uint32_t>(max_x), static_cast<uint32_t>(max_y));
    return count;
  }

  ByteSource src_;
  SizeRule size_;
  Carry carry_;
  int32_t compression_ = 0;
  int64_t table_pos_ = -1;
  std::set<int> evts_;
  uint16_t hw_ = 0, hh_ = 0;
  uint64_t packet_at_ = 0;
  std::vector<uint8_t> dec_;
  LZ4F_dctx* lz4_ = nullptr;
  bool lz4_ok_ = false;
  ZSTD_DCtx* zstd_ = nullptr;
};

}  // namespace

std::unique_ptr<EventReader> make_aedat4_reader(const std::string& path, const ReadOptions& opt) {
  return std::make_unique<Aedat4Reader>(path, opt);
}

}  // namespace soma::readers
