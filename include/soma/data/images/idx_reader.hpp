// IDX reader for MNIST and Fashion-MNIST (LeCun's format), plain or gzip-compressed.
//
// Layout (big-endian): magic = 0x00 0x00 <type> <ndims>, then ndims uint32 sizes, then the
// row-major data. Only unsigned bytes (type 0x08) are accepted:
//   images  magic 0x00000803, dims [N, H, W], then N*H*W pixel bytes (0 = background)
//   labels  magic 0x00000801, dims [N],       then N label bytes
// Validation is strict: wrong magic, zero or absurd dims (H, W > 4096), a short file (IoError
// "<file>: truncated at byte offset <o>: ...") and trailing bytes after the data are errors.
// gzip or not is detected by zlib from the content, so "x-idx3-ubyte" may be compressed.
// Source: http://yann.lecun.com/exdb/mnist/ (file format section).
#pragma once

#include <string>
#include <vector>

#include "soma/data/images/image_set.hpp"

namespace soma {

// Pixels of an images file; labels stay empty. max_value = 255, channels = 1.
ImageSet read_idx_images(const std::string& path);
std::vector<int> read_idx_labels(const std::string& path);
// Both files of one split; their counts must agree.
ImageSet read_idx_pair(const std::string& images_path, const std::string& labels_path);

}  // namespace soma
