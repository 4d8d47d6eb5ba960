#include "soma/data/images/digits_csv.hpp"

#include <charconv>

#include "../gz_file.hpp"
#include "soma/core/error.hpp"

namespace soma {

ImageSet read_digits_csv(const std::string& path) {
  constexpr int kPixels = 64;
  GzFile f(path);
  ImageSet s;
  s.height = 8;
  s.width = 8;
  s.max_value = 16;
  s.source = path;
  std::string line;
  int64_t line_no = 0;
  while (f.read_line(line)) {
    ++line_no;
    if (line.empty()) continue;
    const char* p = line.data();
    const char* end = p + line.size();
    int col = 0;
    while (true) {
      int v = 0;
      const auto [next, ec] = std::from_chars(p, end, v);
      SOMA_CHECK_AS(IoError, ec == std::errc() && next != p, path, ":", line_no, ": column ",
                    col + 1, ": expected an integer, got '", std::string(p, end), "'");
      if (col < kPixels) {
        SOMA_CHECK_AS(IoError, v >= 0 && v <= 16, path, ":", line_no, ": column ", col + 1,
                      ": pixel must be in 0..16, got ", v);
        s.pixels.push_back(static_cast<uint8_t>(v));
      } else {
        SOMA_CHECK_AS(IoError, col == kPixels && v >= 0 && v <= 9, path, ":", line_no,
                      ": expected 65 columns with the label 0..9 last, got column ", col + 1,
                      " = ", v);
        s.labels.push_back(v);
      }
      ++col;
      p = next;
      if (p == end) break;
      SOMA_CHECK_AS(IoError, *p == ',', path, ":", line_no, ": expected ',' after column ", col);
      ++p;
    }
    SOMA_CHECK_AS(IoError, col == kPixels + 1, path, ":", line_no, ": expected 65 columns, got ",
                  col);
  }
  s.count = static_cast<int64_t>(s.labels.size());
  SOMA_CHECK_AS(IoError, s.count > 0, path, ": no rows");
  return s;
}

}  // namespace soma
