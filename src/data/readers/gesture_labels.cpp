#include "soma/data/readers/gesture_labels.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>

#include "soma/core/error.hpp"

namespace soma {

namespace {
// Parses an integer field [b, e) after trimming spaces; false if it is not one.
bool parse_int(const char* b, const char* e, int64_t& v) {
  while (b < e && (*b == ' ' || *b == '\t')) ++b;
  while (e > b && (e[-1] == ' ' || e[-1] == '\t')) --e;
  if (b == e) return false;
  const auto r = std::from_chars(b, e, v);
  return r.ec == std::errc() && r.ptr == e;
}
}  // namespace

std::vector<LabelledSegment> read_gesture_labels(const std::string& csv_path) {
  std::ifstream in(csv_path, std::ios::binary);
  if (!in) throw IoError(str_cat(csv_path, ": cannot open for reading"));
  std::vector<LabelledSegment> out;
  std::string line;
  for (int lineno = 1; std::getline(in, line); ++lineno) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    int64_t f[3];
    const char* b = line.data();
    const char* end = line.data() + line.size();
    int k = 0;
    bool ok = true;
    for (; k < 3 && ok; ++k) {
      const char* c = std::find(b, end, ',');
      if (k < 2 && c == end) {
        ok = false;
        break;
      }
      ok = parse_int(b, k < 2 ? c : end, f[k]);
      b = c + (c == end ? 0 : 1);
    }
    if (!ok) {
      if (out.empty() && lineno == 1 && line.find("class") != std::string::npos) continue;
      throw IoError(str_cat(csv_path, ": line ", lineno, ": expected 'class,startTime_usec,"
                            "endTime_usec' integers, got '", line, "'"));
    }
    if (f[0] < 0 || f[0] > 1000000 || f[1] > f[2])
      throw IoError(str_cat(csv_path, ": line ", lineno, ": bad segment (class ", f[0],
                            ", start ", f[1], ", end ", f[2], "): class >= 0, start <= end"));
    out.push_back({static_cast<int>(f[0]), f[1], f[2]});
  }
  return out;
}

Events slice_time(const Events& ev, int64_t t0, int64_t t1) {
  Events out;
  out.width = ev.width;
  out.height = ev.height;
  if (t1 <= t0) return out;
  const auto b = std::lower_bound(ev.t.begin(), ev.t.end(), t0) - ev.t.begin();
  const auto e = std::lower_bound(ev.t.begin() + b, ev.t.end(), t1) - ev.t.begin();
  out.t.assign(ev.t.begin() + b, ev.t.begin() + e);
  out.x.assign(ev.x.begin() + b, ev.x.begin() + e);
  out.y.assign(ev.y.begin() + b, ev.y.begin() + e);
  out.p.assign(ev.p.begin() + b, ev.p.begin() + e);
  return out;
}

}  // namespace soma
