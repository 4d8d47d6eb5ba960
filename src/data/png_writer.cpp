#include "soma/data/png_writer.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstdio>

#include "soma/core/error.hpp"
#include "soma/data/frames.hpp"

namespace soma {
namespace {

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
}

void chunk(std::vector<uint8_t>& out, const char* type, const std::vector<uint8_t>& data) {
  put_u32(out, static_cast<uint32_t>(data.size()));
  const size_t start = out.size();
  out.insert(out.end(), type, type + 4);
  out.insert(out.end(), data.begin(), data.end());
  const uLong crc = crc32(0L, out.data() + start, static_cast<uInt>(out.size() - start));
  put_u32(out, static_cast<uint32_t>(crc));
}

}  // namespace

void write_png_rgb(const std::string& path, int64_t width, int64_t height,
                   const std::vector<uint8_t>& rgb) {
  SOMA_CHECK(width > 0 && height > 0 && rgb.size() == static_cast<size_t>(3 * width * height),
             "write_png_rgb: ", rgb.size(), " bytes for a ", width, "x", height, " RGB image");
  std::vector<uint8_t> raw;
  raw.reserve(static_cast<size_t>((3 * width + 1) * height));
  for (int64_t y = 0; y < height; ++y) {
    raw.push_back(0);  // filter: None
    const auto* row = rgb.data() + 3 * width * y;
    raw.insert(raw.end(), row, row + 3 * width);
  }
  uLongf zlen = compressBound(static_cast<uLong>(raw.size()));
  std::vector<uint8_t> z(zlen);
  SOMA_CHECK(compress2(z.data(), &zlen, raw.data(), static_cast<uLong>(raw.size()), 6) == Z_OK,
             path, ": zlib compression failed");
  z.resize(zlen);
  std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  std::vector<uint8_t> ihdr;
  put_u32(ihdr, static_cast<uint32_t>(width));
  put_u32(ihdr, static_cast<uint32_t>(height));
  ihdr.insert(ihdr.end(), {8, 2, 0, 0, 0});  // depth 8, RGB, deflate, filter 0, no interlace
  chunk(png, "IHDR", ihdr);
  chunk(png, "IDAT", z);
  chunk(png, "IEND", {});
  std::FILE* f = std::fopen(path.c_str(), "wb");
  SOMA_CHECK_AS(IoError, f != nullptr, path, ": cannot open for writing");
  const size_t n = std::fwrite(png.data(), 1, png.size(), f);
  const bool ok = std::fclose(f) == 0 && n == png.size();
  SOMA_CHECK_AS(IoError, ok, path, ": write failed");
}

std::vector<uint8_t> render_event_preview(const Events& ev, int64_t K, int64_t& width,
                                          int64_t& height) {
  SOMA_CHECK(K > 0, "preview needs at least one frame, got ", K);
  SOMA_CHECK(ev.width > 0 && ev.height > 0, "preview: unknown sensor size");
  FrameOptions opt;  // split_by time, count, two polarities
  const Tensor fr = events_to_frames(ev, opt, K);
  const int64_t W = ev.width, H = ev.height;
  const bool raster = H == 1;
  const int64_t fw = raster ? 1 : W, fh = raster ? W : H;  // one frame's size before scaling
  const int64_t scale = std::max<int64_t>(1, 128 / std::max(fw * (raster ? K : 1), fh));
  const int64_t gap = raster ? 0 : 2;
  width = (K * fw + (K - 1) * gap) * scale;
  height = fh * scale;
  std::vector<uint8_t> img(static_cast<size_t>(3 * width * height), 255);
  for (int64_t k = 0; k < K; ++k)
    for (int64_t v = 0; v < fh; ++v)
      for (int64_t u = 0; u < fw; ++u) {
        // Frame pixel (x, y) of frame k drawn at (u, v).
        const int64_t x = raster ? v : u, y = raster ? 0 : v;
        const float off = fr.data()[((k * 2 + 0) * H + y) * W + x];
        const float on = fr.data()[((k * 2 + 1) * H + y) * W + x];
        const auto level = [](float c) { return std::min(1.0f, c / 3.0f); };
        const uint8_t r = static_cast<uint8_t>(128 + 127 * level(off) - 96 * level(on));
        const uint8_t g = static_cast<uint8_t>(128 + 127 * level(on) - 96 * level(off));
        const uint8_t b = static_cast<uint8_t>(128 - 96 * std::max(level(on), level(off)));
        const int64_t x0 = (k * (fw + gap) + u) * scale, y0 = v * scale;
        for (int64_t dy = 0; dy < scale; ++dy)
          for (int64_t dx = 0; dx < scale; ++dx) {
            uint8_t* px = &img[static_cast<size_t>(3 * ((y0 + dy) * width + x0 + dx))];
            px[0] = r;
            px[1] = g;
            px[2] = b;
          }
      }
  return img;
}

}  // namespace soma
