// Events: a stream of address events from a dynamic vision sensor (or a cochlea-like sensor),
// stored as a struct of arrays sorted by time.
//
//   t  int64   microseconds (absolute device clock or relative, as the file stores it)
//   x  uint16  column, 0 <= x < width
//   y  uint16  row,    0 <= y < height (1-D sensors such as SHD/N-TIDIGITS: y = 0, height = 1)
//   p  int8    polarity: 1 = ON (brightness increase), 0 = OFF
// The sensor size travels with the events; readers fill it from the header or the format's
// fixed resolution, and never emit a coordinate outside it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace soma {

struct Events {
  std::vector<int64_t> t;
  std::vector<uint16_t> x;
  std::vector<uint16_t> y;
  std::vector<int8_t> p;
  uint16_t width = 0;
  uint16_t height = 0;

  size_t size() const { return t.size(); }
  bool empty() const { return t.empty(); }
  void reserve(size_t n) {
    t.reserve(n);
    x.reserve(n);
    y.reserve(n);
    p.reserve(n);
  }
  void clear() {
    t.clear();
    x.clear();
    y.clear();
    p.clear();
  }
  void push_back(int64_t ts, uint16_t xs, uint16_t ys, int8_t ps) {
    t.push_back(ts);
    x.push_back(xs);
    y.push_back(ys);
    p.push_back(ps);
  }
  // Appends all events of `o` (same sensor).
  void append(const Events& o) {
    t.insert(t.end(), o.t.begin(), o.t.end());
    x.insert(x.end(), o.x.begin(), o.x.end());
    y.insert(y.end(), o.y.begin(), o.y.end());
    p.insert(p.end(), o.p.begin(), o.p.end());
  }
};

}  // namespace soma
