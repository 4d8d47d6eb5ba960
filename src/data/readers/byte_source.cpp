#include "byte_source.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace soma::readers {

ByteSource::ByteSource(const std::string& path, size_t chunk) : path_(path), chunk_(chunk) {
  f_ = std::fopen(path.c_str(), "rb");
  if (!f_) throw IoError(str_cat(path, ": cannot open for reading: ", std::strerror(errno)));
  if (std::fseek(f_, 0, SEEK_END) == 0) {
    const long sz = std::ftell(f_);
    if (sz >= 0) file_size_ = static_cast<uint64_t>(sz);
    std::fseek(f_, 0, SEEK_SET);
  }
  buf_.resize(chunk_);
}

ByteSource::~ByteSource() {
  if (f_) std::fclose(f_);
}

bool ByteSource::fill(size_t n) {
  if (avail() >= n) return true;
  if (n > kMaxFill) fail_at(offset_, "a record of ", n, " bytes is larger than the limit of ",
                            kMaxFill, " bytes (corrupt length field?)");
  // Compact the unread tail to the front.
  const size_t have = avail();
  if (pos_ > 0) {
    if (have > 0) std::memmove(buf_.data(), buf_.data() + pos_, have);
    pos_ = 0;
    end_ = have;
  }
  const size_t want = std::max(n, chunk_);
  if (buf_.size() < want) buf_.resize(want);
  while (!eof_ && end_ < n) {
    const size_t got = std::fread(buf_.data() + end_, 1, buf_.size() - end_, f_);
    end_ += got;
    if (got == 0) {
      if (std::ferror(f_))
        throw IoError(str_cat(path_, ": byte ", offset_ + avail(), ": read error: ",
                              std::strerror(errno)));
      eof_ = true;
    }
  }
  // Opportunistically fill the rest of a normal chunk so small requests stay cheap.
  if (!eof_ && end_ < chunk_) {
    const size_t got = std::fread(buf_.data() + end_, 1, chunk_ - end_, f_);
    end_ += got;
    if (got == 0) eof_ = true;
  }
  if (buf_.size() > chunk_ && end_ <= chunk_) {
    // A large one-off request has been served: give the memory back.
    buf_.resize(chunk_);
    buf_.shrink_to_fit();
  }
  return avail() >= n;
}

void ByteSource::seek(uint64_t off) {
  if (std::fseek(f_, static_cast<long>(off), SEEK_SET) != 0)
    throw IoError(str_cat(path_, ": cannot seek to byte ", off));
  offset_ = off;
  pos_ = end_ = 0;
  eof_ = false;
}

}  // namespace soma::readers
