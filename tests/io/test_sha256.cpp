#include <catch2/catch.hpp>

#include <string>

#include "io_test_util.hpp"
#include "soma/core/error.hpp"
#include "soma/io/sha256.hpp"

using soma::sha256_hex;

TEST_CASE("sha256 matches the FIPS 180-4 known answers", "[io][sha256]") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(sha256_hex(std::string(1000000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("sha256 is independent of how the input is split into updates", "[io][sha256]") {
  std::string msg;
  for (int i = 0; i < 1000; ++i) msg += static_cast<char>((i * 131 + 7) % 256);
  const std::string whole = sha256_hex(msg);
  for (size_t step : {1u, 3u, 55u, 56u, 63u, 64u, 65u, 999u}) {
    soma::Sha256 h;
    for (size_t i = 0; i < msg.size(); i += step) h.update(msg.data() + i, std::min(step, msg.size() - i));
    CHECK(h.hex_digest() == whole);
  }
}

TEST_CASE("sha256 agrees with python hashlib around the padding boundaries", "[io][sha256]") {
  const std::string dir = soma::test::scratch_dir("sha256");
  std::string data;
  for (int i = 0; i < 200; ++i) data += static_cast<char>((i * 37 + 11) % 256);
  soma::test::write_text(dir + "/data.bin", data);
  int rc = 0;
  const std::string out = soma::test::run_python(
      dir,
      "import hashlib, sys\n"
      "d = open(sys.argv[1], 'rb').read()\n"
      "print(' '.join(hashlib.sha256(d[:n]).hexdigest() for n in range(200)))\n",
      dir + "/data.bin", rc);
  REQUIRE(rc == 0);
  std::string expected;
  for (size_t n = 0; n < 200; ++n) {
    if (n > 0) expected += ' ';
    expected += sha256_hex(data.substr(0, n));
  }
  CHECK(out == expected + "\n");
  CHECK(soma::sha256_file_hex(dir + "/data.bin") == sha256_hex(data));
  CHECK_THROWS_AS(soma::sha256_file_hex(dir + "/missing.bin"), soma::IoError);
}
