// GzFile: sequential reads from a plain or gzip-compressed file (zlib's gzread reads both), with
// the uncompressed byte offset tracked so that errors can name where a file ends or goes bad.
// Private to src/data: zlib stays out of the public headers.
#pragma once

#include <cstdint>
#include <string>

namespace soma {

class GzFile {
 public:
  explicit GzFile(const std::string& path);  // throws IoError if it cannot be opened
  ~GzFile();
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;

  // Reads up to n bytes; returns how many came (< n only at the end of the data).
  int64_t read_some(void* dst, int64_t n);
  // Reads exactly n bytes or throws IoError "<path>: truncated at byte offset <o>: <what>".
  void read_exact(void* dst, int64_t n, const char* what);
  // Reads one line without its "\n" (and a trailing "\r"); false at the end of the data.
  bool read_line(std::string& line);
  // True if no byte is left (consumes at most one byte).
  bool at_end();

  int64_t offset() const { return offset_; }  // uncompressed bytes consumed so far
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  void* gz_ = nullptr;  // gzFile
  int64_t offset_ = 0;
};

}  // namespace soma
