#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "io_test_util.hpp"
#include "soma/core/error.hpp"
#include "soma/io/json.hpp"

using soma::Json;

TEST_CASE("Json escapes strings", "[io][json]") {
  CHECK(Json("plain").dump() == "\"plain\"");
  CHECK(Json("a\"b\\c").dump() == R"("a\"b\\c")");
  CHECK(Json("l1\nl2\tx\r\b\f").dump() == R"("l1\nl2\tx\r\b\f")");
  CHECK(Json(std::string("\x01\x1f", 2)).dump() == R"("\u0001\u001f")");
  CHECK(Json(std::string("nul\0x", 5)).dump() == R"("nul\u0000x")");
  CHECK(Json("/ and \x7f stay").dump() == "\"/ and \x7f stay\"");
  // Valid UTF-8 passes through; invalid bytes become U+FFFD.
  CHECK(Json("\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80").dump() ==
        "\"\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
  CHECK(Json("a\xff" "b").dump() == R"("a\ufffdb")");
  CHECK(Json("\xc0\xaf").dump() == R"("\ufffd\ufffd")");      // overlong '/'
  CHECK(Json("\xed\xa0\x80").dump() == R"("\ufffd\ufffd\ufffd")");  // surrogate
  CHECK(Json("\xe2\x82").dump() == R"("\ufffd\ufffd")");      // cut sequence
}

TEST_CASE("Json formats numbers exactly and writes non-finite as null", "[io][json]") {
  CHECK(Json(0).dump() == "0");
  CHECK(Json(-42).dump() == "-42");
  CHECK(Json(std::numeric_limits<int64_t>::min()).dump() == "-9223372036854775808");
  CHECK(Json(std::numeric_limits<uint64_t>::max()).dump() == "18446744073709551615");
  CHECK(Json(0.1).dump() == "0.1");
  CHECK(Json(3.0).dump() == "3");
  CHECK(Json(-2.5e-7).dump() == "-2.5e-07");
  CHECK(Json(1e300).dump() == "1e+300");
  CHECK(Json(0.1f).dump() == "0.10000000149011612");  // the float's exact double value
  CHECK(Json(1.0 / 3.0).dump() == "0.3333333333333333");
  CHECK(Json(std::nan("")).dump() == "null");
  CHECK(Json(std::numeric_limits<double>::infinity()).dump() == "null");
  CHECK(Json(-std::numeric_limits<double>::infinity()).dump() == "null");
  CHECK(Json(true).dump() == "true");
  CHECK(Json().dump() == "null");
  CHECK(Json(nullptr).dump() == "null");
}

TEST_CASE("Json objects keep insertion order, arrays, nesting and indentation", "[io][json]") {
  Json o = Json::object();
  o.set("zeta", 1).set("alpha", Json::array({1, 2.5, "x"})).set("mid", Json::object());
  o["nested"]["k"] = false;
  o.set("zeta", 9);  // replaced in place
  CHECK(o.dump() == R"({"zeta":9,"alpha":[1,2.5,"x"],"mid":{},"nested":{"k":false}})");
  CHECK(o.dump(2) ==
        "{\n  \"zeta\": 9,\n  \"alpha\": [\n    1,\n    2.5,\n    \"x\"\n  ],\n  \"mid\": {},\n"
        "  \"nested\": {\n    \"k\": false\n  }\n}");
  CHECK(o.size() == 4);
  CHECK(o.contains("mid"));
  CHECK(o.at("zeta").dump() == "9");
  CHECK_THROWS_AS(o.at("missing"), soma::Error);
  CHECK(Json::array().dump(2) == "[]");
  CHECK(Json::array_of(std::vector<int64_t>{3, 4}).dump() == "[3,4]");
  Json a;  // null becomes an array on push_back
  a.push_back("x").push_back(Json());
  CHECK(a.dump() == R"(["x",null])");
  CHECK_THROWS_AS(a.set("k", 1), soma::Error);
  CHECK_THROWS_AS(Json(1).push_back(2), soma::Error);
}

TEST_CASE("Json output parses with python's json module", "[io][json]") {
  const std::string dir = soma::test::scratch_dir("json");
  Json o = Json::object();
  o.set("s", "q\"\\\n\x01\xc3\xa9\xff").set("n", std::nan("")).set("d", 1e-300).set("i", -7);
  soma::test::write_text(dir + "/o.json", o.dump(4));
  int rc = 0;
  const std::string out = soma::test::run_python(
      dir, "import json, sys\nd = json.load(open(sys.argv[1]))\nprint(ascii(d))\n", dir + "/o.json", rc);
  REQUIRE(rc == 0);
  CHECK(out == std::string(R"({'s': 'q"\\\n\x01\xe9\ufffd', 'n': None, 'd': 1e-300, 'i': -7})") + "\n");
}
