#include "gz_file.hpp"

#include <zlib.h>

#include <algorithm>
#include <climits>

#include "soma/core/error.hpp"

namespace soma {

GzFile::GzFile(const std::string& path) : path_(path) {
  gzFile f = gzopen(path.c_str(), "rb");
  SOMA_CHECK_AS(IoError, f != nullptr, path, ": cannot open for reading");
  gzbuffer(f, 1 << 17);
  gz_ = f;
}

GzFile::~GzFile() {
  if (gz_ != nullptr) gzclose(static_cast<gzFile>(gz_));
}

int64_t GzFile::read_some(void* dst, int64_t n) {
  auto* out = static_cast<unsigned char*>(dst);
  int64_t done = 0;
  while (done < n) {
    const unsigned chunk = static_cast<unsigned>(std::min<int64_t>(n - done, INT_MAX / 2));
    const int got = gzread(static_cast<gzFile>(gz_), out + done, chunk);
    if (got < 0) {
      int errnum = 0;
      const char* msg = gzerror(static_cast<gzFile>(gz_), &errnum);
      throw IoError(str_cat(path_, ": corrupt data near byte offset ", offset_ + done, ": ",
                            msg != nullptr ? msg : "gzread failed"));
    }
    if (got == 0) break;
    done += got;
  }
  offset_ += done;
  return done;
}

void GzFile::read_exact(void* dst, int64_t n, const char* what) {
  const int64_t start = offset_;
  const int64_t got = read_some(dst, n);
  SOMA_CHECK_AS(IoError, got == n, path_, ": truncated at byte offset ", start + got,
                ": expected ", n, " bytes of ", what, " from offset ", start, ", got ", got);
}

bool GzFile::read_line(std::string& line) {
  line.clear();
  while (true) {
    const int c = gzgetc(static_cast<gzFile>(gz_));
    if (c < 0) {
      int errnum = 0;
      const char* msg = gzerror(static_cast<gzFile>(gz_), &errnum);
      SOMA_CHECK_AS(IoError, errnum == Z_OK || errnum == Z_STREAM_END, path_,
                    ": corrupt data near byte offset ", offset_, ": ", msg);
      if (line.empty()) return false;
      break;
    }
    ++offset_;
    if (c == '\n') break;
    line.push_back(static_cast<char>(c));
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return true;
}

bool GzFile::at_end() {
  unsigned char b = 0;
  return read_some(&b, 1) == 0;
}

}  // namespace soma
