// Minimal PNG writer (8-bit RGB, no interlace) for event previews (`soma data inspect --png`).
//
// File = 8-byte signature, IHDR (width, height, bit depth 8, colour type 2 = RGB), one IDAT
// holding the zlib stream (deflate, level 6) of the scanlines, each prefixed with filter byte 0
// (None), and IEND. Every chunk is length (uint32 BE) + type + data + CRC-32 of type + data
// (zlib's crc32). Source: the PNG specification (ISO/IEC 15948, W3C PNG 2nd edition).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "soma/data/events.hpp"

namespace soma {

// rgb: height rows of width pixels, 3 bytes each (row-major). IoError if the file cannot be
// written; Error when rgb.size() != 3 * width * height.
void write_png_rgb(const std::string& path, int64_t width, int64_t height,
                   const std::vector<uint8_t>& rgb);

// A preview of K frames side by side (split_by time, each scaled up to >= 128 px on its longer
// side by an integer factor): grey background, ON events green and OFF events red, brightness
// min(1, count / 3). A 1-D sensor (height 1) is drawn as a raster: channel down, K time bins
// across. Returns the image size through width/height.
std::vector<uint8_t> render_event_preview(const Events& ev, int64_t frames, int64_t& width,
                                          int64_t& height);

}  // namespace soma
