#include "soma/data/images/idx_reader.hpp"

#include <algorithm>

#include "../gz_file.hpp"
#include "soma/core/error.hpp"

namespace soma {
namespace {

constexpr uint32_t kMagicImages = 0x00000803;
constexpr uint32_t kMagicLabels = 0x00000801;
constexpr uint32_t kMaxSide = 4096;

uint32_t read_be32(GzFile& f, const char* what) {
  unsigned char b[4];
  f.read_exact(b, 4, what);
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
}

void check_magic(GzFile& f, uint32_t expected, const char* kind) {
  const uint32_t magic = read_be32(f, "the IDX magic number");
  SOMA_CHECK_AS(IoError, magic == expected, f.path(), ": byte offset 0: expected IDX ", kind,
                " magic 0x0000080", (expected & 0xFF), ", got 0x", std::hex, magic);
}

// Reads `n` data bytes in chunks (a corrupt header cannot make us allocate more than the file
// actually holds), then requires the end of the file.
void read_body(GzFile& f, std::vector<uint8_t>& dst, int64_t n, const char* what) {
  constexpr int64_t kChunk = int64_t{1} << 22;
  dst.clear();
  const int64_t start = f.offset();
  while (static_cast<int64_t>(dst.size()) < n) {
    const int64_t have = static_cast<int64_t>(dst.size());
    const int64_t want = std::min(kChunk, n - have);
    dst.resize(static_cast<size_t>(have + want));
    const int64_t got = f.read_some(dst.data() + have, want);
    SOMA_CHECK_AS(IoError, got == want, f.path(), ": truncated at byte offset ", f.offset(),
                  ": expected ", n, " bytes of ", what, " from offset ", start, " (file size ",
                  start + n, "), got ", have + got);
  }
  const int64_t end = f.offset();
  SOMA_CHECK_AS(IoError, f.at_end(), f.path(), ": unexpected data after byte offset ", end,
                ": the header's dims say the file ends there");
}

}  // namespace

ImageSet read_idx_images(const std::string& path) {
  GzFile f(path);
  check_magic(f, kMagicImages, "images");
  const uint32_t n = read_be32(f, "the image count");
  const uint32_t h = read_be32(f, "the image height");
  const uint32_t w = read_be32(f, "the image width");
  SOMA_CHECK_AS(IoError, n > 0 && h > 0 && w > 0 && h <= kMaxSide && w <= kMaxSide, path,
                ": byte offset 4: implausible IDX image dims [", n, ", ", h, ", ", w, "]");
  ImageSet s;
  s.count = n;
  s.height = h;
  s.width = w;
  s.max_value = 255;
  s.source = path;
  read_body(f, s.pixels, int64_t{n} * h * w, "pixels");
  return s;
}

std::vector<int> read_idx_labels(const std::string& path) {
  GzFile f(path);
  check_magic(f, kMagicLabels, "labels");
  const uint32_t n = read_be32(f, "the label count");
  SOMA_CHECK_AS(IoError, n > 0, path, ": byte offset 4: IDX label count is 0");
  std::vector<uint8_t> raw;
  read_body(f, raw, n, "labels");
  return {raw.begin(), raw.end()};
}

ImageSet read_idx_pair(const std::string& images_path, const std::string& labels_path) {
  ImageSet s = read_idx_images(images_path);
  s.labels = read_idx_labels(labels_path);
  SOMA_CHECK_AS(IoError, static_cast<int64_t>(s.labels.size()) == s.count, images_path, " holds ",
                s.count, " images but ", labels_path, " holds ", s.labels.size(), " labels");
  s.source = images_path + " + " + labels_path;
  return s;
}

}  // namespace soma
