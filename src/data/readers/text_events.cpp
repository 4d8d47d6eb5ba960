// Text / CSV events: reader (EventFormat::kText) and write_text_events. Format in
// soma/data/readers/text_events.hpp.
#include "soma/data/readers/text_events.hpp"

#include <charconv>
#include <cstdio>
#include <cstring>
#include <memory>

#include "reader_common.hpp"
#include "reader_factories.hpp"

namespace soma {
namespace readers {
namespace {

constexpr size_t kMaxLine = 4096;

bool is_sep(char c) { return c == ' ' || c == '\t' || c == ',' || c == ';' || c == '\r'; }

class TextReader final : public EventReader {
 public:
  TextReader(const std::string& path, const ReadOptions& opt) : src_(path) {
    size_.init(opt, 0, 0);
    opt_w_ = opt.width;
    opt_h_ = opt.height;
    width_ = size_.w;
    height_ = size_.h;
  }

  EventFormat format() const override { return EventFormat::kText; }

  size_t read(Events& out, size_t max_events) override {
    size_t done = 0;
    while (done < max_events) {
      if (!src_.fill(1)) break;
      src_.fill(kMaxLine + 1);
      const size_t n = std::min(src_.avail(), kMaxLine + 1);
      const char* b = reinterpret_cast<const char*>(src_.data());
      const void* nl = std::memchr(b, '\n', n);
      size_t len;
      if (nl) {
        len = static_cast<const char*>(nl) - b;
      } else if (src_.avail() <= kMaxLine) {
        len = src_.avail();  // last line without a newline
      } else {
        src_.fail_at(src_.offset(), "line ", line_, " is longer than ", kMaxLine, " bytes");
      }
      parse_line(b, b + len, out, done);
      src_.consume(std::min(len + 1, src_.avail()));
      ++line_;
    }
    width_ = size_.w;
    height_ = size_.h;
    out.width = width_;
    out.height = height_;
    return done;
  }

 private:
  void parse_line(const char* b, const char* e, Events& out, size_t& done) {
    while (b < e && is_sep(*b)) ++b;
    if (b == e) return;
    if (*b == '#') {
      if (!seen_event_) declared_size(std::string(b, e));
      return;
    }
    int64_t v[4];
    int k = 0;
    const char* c = b;
    for (; k < 4; ++k) {
      while (c < e && is_sep(*c)) ++c;
      if (c == e) break;
      const auto r = std::from_chars(c, e, v[k]);
      if (r.ec != std::errc() || (r.ptr < e && !is_sep(*r.ptr))) break;
      c = r.ptr;
    }
    while (c < e && is_sep(*c)) ++c;
    if (k < 4 || c != e) {
      if (!seen_event_ && !seen_header_ && k == 0) {  // a column header such as "t,x,y,p"
        seen_header_ = true;
        return;
      }
      src_.fail_at(src_.offset(), "line ", line_, ": expected 4 integers 't x y p', got '",
                   std::string(b, std::min<size_t>(e - b, 80)), "'");
    }
    if (v[1] < 0 || v[2] < 0 || v[1] >= int64_t{size_.limit_x()} ||
        v[2] >= int64_t{size_.limit_y()})
      src_.fail_at(src_.offset(), "line ", line_, ": event (x=", v[1], ", y=", v[2],
                   ") outside the sensor ", size_.w, "x", size_.h);
    if (v[3] != 0 && v[3] != 1 && v[3] != -1)
      src_.fail_at(src_.offset(), "line ", line_, ": polarity ", v[3], " is not 1, 0 or -1");
    out.push_back(v[0], static_cast<uint16_t>(v[1]), static_cast<uint16_t>(v[2]),
                  static_cast<int8_t>(v[3] == 1 ? 1 : 0));
    size_.grow(static_cast<uint32_t>(v[1]), static_cast<uint32_t>(v[2]));
    seen_event_ = true;
    ++done;
  }

  // "# ... width=W height=H" before the first event fixes the size (unless ReadOptions did).
  void declared_size(const std::string& s) {
    unsigned w = 0, h = 0;
    const size_t a = s.find("width="), b = s.find("height=");
    if (a == std::string::npos || b == std::string::npos) return;
    if (std::sscanf(s.c_str() + a + 6, "%u", &w) != 1 || std::sscanf(s.c_str() + b + 7, "%u", &h) != 1)
      return;
    if (w == 0 || h == 0 || w > 0xFFFF || h > 0xFFFF) return;
    ReadOptions o;
    o.width = opt_w_;
    o.height = opt_h_;
    size_.init(o, static_cast<uint16_t>(w), static_cast<uint16_t>(h));
  }

  ByteSource src_;
  SizeRule size_;
  uint16_t opt_w_ = 0, opt_h_ = 0;
  uint64_t line_ = 1;
  bool seen_event_ = false, seen_header_ = false;
};

}  // namespace

std::unique_ptr<EventReader> make_text_reader(const std::string& path, const ReadOptions& opt) {
  return std::make_unique<TextReader>(path, opt);
}

}  // namespace readers

void write_text_events(const std::string& path, const Events& ev) {
  const size_t n = ev.size();
  SOMA_CHECK(ev.x.size() == n && ev.y.size() == n && ev.p.size() == n,
             "write_text_events: t, x, y, p have different lengths");
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "wb"), &std::fclose);
  if (!f) throw IoError(str_cat(path, ": cannot open for writing"));
  bool ok = std::fprintf(f.get(), "# soma events: t_us x y p; width=%u height=%u\n",
                         unsigned{ev.width}, unsigned{ev.height}) > 0;
  char line[64];
  for (size_t i = 0; i < n && ok; ++i) {
    const int len = std::snprintf(line, sizeof line, "%lld %u %u %d\n",
                                  static_cast<long long>(ev.t[i]), unsigned{ev.x[i]},
                                  unsigned{ev.y[i]}, ev.p[i] > 0 ? 1 : 0);
    ok = std::fwrite(line, 1, static_cast<size_t>(len), f.get()) == static_cast<size_t>(len);
  }
  if (!ok || std::fclose(f.release()) != 0) throw IoError(str_cat(path, ": write failed"));
}

}  // namespace soma
