// SHA-256 (FIPS 180-4), for config_sha256 in checkpoints and dataset checksums.
//
// Maths: the message is padded with 0x80, zeros and its 64-bit big-endian bit length to a
// multiple of 64 bytes; each 64-byte block is expanded to 64 words
//   w_t = s1(w_{t-2}) + w_{t-7} + s0(w_{t-15}) + w_{t-16}
// and mixed into the eight 32-bit state words by 64 rounds of Ch/Maj/Sigma with the constants
// K_t (fractional parts of the cube roots of the first 64 primes). Written from the standard.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace soma {

// Incremental hasher: update() any number of times, then digest() once.
class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t n);
  void update(std::string_view s) { update(s.data(), s.size()); }
  std::array<uint8_t, 32> digest();  // finalises; the object must not be updated afterwards
  std::string hex_digest();          // 64 lowercase hex characters

 private:
  void block(const uint8_t* p);
  std::array<uint32_t, 8> h_;
  std::array<uint8_t, 64> buf_{};
  size_t buf_len_ = 0;
  uint64_t total_ = 0;  // bytes
  bool done_ = false;
};

// Lowercase hex SHA-256 of a byte string: sha256_hex("abc") == "ba7816bf...".
std::string sha256_hex(std::string_view data);
// Lowercase hex SHA-256 of a file's bytes, streamed; IoError when it cannot be read.
std::string sha256_file_hex(const std::string& path);

}  // namespace soma
