#include <cstdio>
#include <memory>
#include <vector>

#include "soma/core/error.hpp"
#include "soma/data/readers/aedat31.hpp"

namespace soma {
namespace {

void put_le32(std::vector<uint8_t>& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void put_le16(std::vector<uint8_t>& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v));
  b.push_back(static_cast<uint8_t>(v >> 8));
}

}  // namespace

void write_aedat31(const std::string& path, const Events& ev) {
  constexpr size_t kMaxPacket = 8192;
  const size_t n = ev.size();
  SOMA_CHECK(ev.x.size() == n && ev.y.size() == n && ev.p.size() == n,
             "write_aedat31: t, x, y, p have different lengths");
  for (size_t i = 0; i < n; ++i) {
    SOMA_CHECK(ev.t[i] >= 0 && ev.x[i] < 8192 && ev.y[i] < 8192 && (ev.p[i] == 0 || ev.p[i] == 1),
               "write_aedat31: event ", i, " (t=", ev.t[i], ", x=", ev.x[i], ", y=", ev.y[i],
               ", p=", int{ev.p[i]}, ") does not fit AEDAT 3.1 (t >= 0, x, y < 8192, p 0/1)");
  }
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "wb"), &std::fclose);
  if (!f) throw IoError(str_cat(path, ": cannot open for writing"));
  std::string header = "#!AER-DAT3.1\r\n#Format: RAW\r\n";
  if (ev.width == 128 && ev.height == 128)
    header += "#Source 1: DVS128\r\n";
  else
    header += str_cat("#Source 1: soma\r\n#soma-sensor: ", ev.width, "x", ev.height, "\r\n");
  header += "#!END-HEADER\r\n";
  bool ok = std::fwrite(header.data(), 1, header.size(), f.get()) == header.size();
  std::vector<uint8_t> buf;
  for (size_t i = 0; i < n && ok;) {
    const uint32_t overflow = static_cast<uint32_t>(ev.t[i] >> 31);
    size_t e = i;
    while (e < n && e - i < kMaxPacket && static_cast<uint32_t>(ev.t[e] >> 31) == overflow) ++e;
    const uint32_t cnt = static_cast<uint32_t>(e - i);
    buf.clear();
    put_le16(buf, 1);  // polarity
    put_le16(buf, 1);  // source id
    put_le32(buf, 8);  // eventSize
    put_le32(buf, 4);  // eventTSOffset
    put_le32(buf, overflow);
    put_le32(buf, cnt);  // capacity
    put_le32(buf, cnt);  // number
    put_le32(buf, cnt);  // valid
    for (size_t k = i; k < e; ++k) {
      put_le32(buf, uint32_t{ev.x[k]} << 17 | uint32_t{ev.y[k]} << 2 |
                        uint32_t(ev.p[k] & 1) << 1 | 1u);
      put_le32(buf, static_cast<uint32_t>(ev.t[k] & 0x7FFFFFFF));
    }
    ok = std::fwrite(buf.data(), 1, buf.size(), f.get()) == buf.size();
    i = e;
  }
  if (!ok || std::fclose(f.release()) != 0) throw IoError(str_cat(path, ": write failed"));
}

}  // namespace soma
