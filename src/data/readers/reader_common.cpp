#include "reader_common.hpp"

#include <cctype>
#include <cstring>

namespace soma::readers {

bool next_header_line(ByteSource& src, char lead, std::string& line) {
  if (!src.fill(1) || src.data()[0] != static_cast<uint8_t>(lead)) return false;
  if (src.offset() > kMaxHeaderBytes)
    src.fail_at(src.offset(), "header longer than ", kMaxHeaderBytes, " bytes");
  size_t want = std::min<size_t>(4096, kMaxHeaderLine);
  for (;;) {
    src.fill(want);
    const size_t n = std::min(src.avail(), kMaxHeaderLine);
    const void* nl = std::memchr(src.data(), '\n', n);
    if (nl) {
      const size_t len = static_cast<const uint8_t*>(nl) - src.data();
      line.assign(reinterpret_cast<const char*>(src.data()), len);
      src.consume(len + 1);
      break;
    }
    if (src.avail() < want) {  // end of file inside the header line: take it all
      line.assign(reinterpret_cast<const char*>(src.data()), src.avail());
      src.consume(src.avail());
      break;
    }
    if (want >= kMaxHeaderLine)
      src.fail_at(src.offset(), "header line longer than ", kMaxHeaderLine, " bytes");
    want = std::min(want * 4, kMaxHeaderLine);
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return true;
}

namespace {
std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
// Parses a decimal number after `key` in s (0 if absent or invalid; at most 65535).
uint16_t number_after(const std::string& s, const std::string& key) {
  const size_t k = s.find(key);
  if (k == std::string::npos) return 0;
  size_t i = k + key.size();
  while (i < s.size() && (s[i] == ' ' || s[i] == '=' || s[i] == ':')) ++i;
  uint32_t v = 0;
  bool any = false;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && v <= 0xFFFF) {
    v = v * 10 + (s[i++] - '0');
    any = true;
  }
  return any && v <= 0xFFFF ? static_cast<uint16_t>(v) : 0;
}
}  // namespace

PropheseeHeader parse_prophesee_header(ByteSource& src) {
  PropheseeHeader h;
  std::string line;
  uint16_t plugin_w = 0, plugin_h = 0;
  while (next_header_line(src, '%', line)) {
    const std::string l = lower(line);
    if (l == "% end") break;  // newer files close the header explicitly
    if (l.find("evt ") != std::string::npos || l.find("format evt") != std::string::npos)
      h.format_line = l;
    if (l.rfind("% version", 0) == 0) h.has_dat_version = true;
    if (l.rfind("% geometry", 0) == 0) {
      const size_t xpos = l.find('x');
      if (xpos != std::string::npos) {
        h.width = number_after(l, "% geometry");
        h.height = number_after(l.substr(xpos), "x");
      }
    }
    if (l.rfind("% width", 0) == 0) h.width = number_after(l, "% width");
    if (l.rfind("% height", 0) == 0) h.height = number_after(l, "% height");
    if (l.rfind("% format", 0) == 0) {
      if (uint16_t w = number_after(l, "width=")) h.width = w;
      if (uint16_t ht = number_after(l, "height=")) h.height = ht;
    }
    if (l.rfind("% plugin_name", 0) == 0) {
      if (l.find("gen3") != std::string::npos) {
        plugin_w = 640;
        plugin_h = 480;
      } else if (l.find("gen4") != std::string::npos || l.find("imx636") != std::string::npos) {
        plugin_w = 1280;
        plugin_h = 720;
      }
    }
  }
  if (h.width == 0 && h.height == 0) {
    h.width = plugin_w;
    h.height = plugin_h;
  }
  return h;
}

}  // namespace soma::readers
