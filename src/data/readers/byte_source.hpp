// ByteSource: a buffered, bounded-memory view of a file for the event readers (internal).
//
// The readers decode straight out of a window [data(), data() + avail()) of the file, whose
// first byte sits at file offset offset(). fill(n) slides the window (compacting the unread tail
// to the front and reading up to the chunk size) until at least n bytes are available or the
// file ends; consume(n) advances. Memory is the chunk size (1 MiB by default) plus what a
// caller asks fill() for, and fill() refuses requests above a hard limit, so a corrupt length
// field can never turn into a huge allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "soma/core/error.hpp"
#include "soma/data/events.hpp"

namespace soma::readers {

class ByteSource {
 public:
  static constexpr size_t kDefaultChunk = size_t{1} << 20;
  static constexpr size_t kMaxFill = size_t{256} << 20;  // largest single contiguous request

  explicit ByteSource(const std::string& path, size_t chunk = kDefaultChunk);
  ~ByteSource();
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;

  const std::string& path() const { return path_; }
  uint64_t file_size() const { return file_size_; }
  // File offset of data()[0].
  uint64_t offset() const { return offset_; }
  const uint8_t* data() const { return buf_.data() + pos_; }
  size_t avail() const { return end_ - pos_; }
  // Makes at least min(n, bytes left in the file) bytes available; returns avail() >= n.
  bool fill(size_t n);
  // Fills a normal chunk if the window is empty; returns false at end of file.
  bool refill() { return avail() > 0 || fill(1); }
  void consume(size_t n) {
    pos_ += n;
    offset_ += n;
  }
  bool at_end() { return avail() == 0 && !fill(1); }
  // Repositions at an absolute file offset (drops the window).
  void seek(uint64_t off);

  // Throws IoError "<path>: byte <off>: <msg...>".
  template <typename... Args>
  [[noreturn]] void fail_at(uint64_t off, Args&&... args) const {
    throw IoError(str_cat(path_, ": byte ", off, ": ", std::forward<Args>(args)...));
  }

 private:
  std::string path_;
  std::FILE* f_ = nullptr;
  uint64_t file_size_ = 0;
  uint64_t offset_ = 0;  // file offset of buf_[pos_]
  size_t chunk_;
  std::vector<uint8_t> buf_;
  size_t pos_ = 0, end_ = 0;
  bool eof_ = false;
};

inline uint32_t load_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
inline uint16_t load_le16(const uint8_t* p) { return uint16_t(p[0] | (p[1] << 8)); }
inline uint32_t load_le32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}
inline uint64_t load_le64(const uint8_t* p) {
  return uint64_t{load_le32(p)} | (uint64_t{load_le32(p + 4)} << 32);
}

// Grows `out` by n events and returns the index of the first new one (bulk decode target).
inline size_t grow_events(Events& out, size_t n) {
  const size_t old = out.t.size();
  out.t.resize(old + n);
  out.x.resize(old + n);
  out.y.resize(old + n);
  out.p.resize(old + n);
  return old;
}
inline void shrink_events(Events& out, size_t n) {
  out.t.resize(n);
  out.x.resize(n);
  out.y.resize(n);
  out.p.resize(n);
}

}  // namespace soma::readers
