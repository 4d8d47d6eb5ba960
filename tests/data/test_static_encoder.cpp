#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "soma/core/config_node.hpp"
#include "soma/data/encoders/static_encoder.hpp"

using namespace soma;

TEST_CASE("direct encoding repeats the image exactly", "[data][encoder]") {
  const std::vector<float> img{0.f, 0.25f, 1.f, 0.5f};
  StaticEncoding e;
  e.type = StaticEncoding::Type::kDirect;
  std::vector<float> out(3 * 4, -1.f);
  Rng rng(1);
  encode_static(e, img.data(), 4, 3, out.data(), rng);
  for (int t = 0; t < 3; ++t)
    for (int m = 0; m < 4; ++m) CHECK(out[t * 4 + m] == img[m]);
}

TEST_CASE("rate encoding: spike frequency matches gain * pixel within 4.5 sigma", "[data][encoder]") {
  const std::vector<float> img{0.f, 0.1f, 0.5f, 0.9f, 1.f, 0.6f};
  const int64_t T = 20000;
  for (float gain : {1.0f, 0.5f, 2.0f}) {
    StaticEncoding e;
    e.type = StaticEncoding::Type::kRate;
    e.gain = gain;
    std::vector<float> out(static_cast<size_t>(T) * img.size());
    Rng rng(42);
    encode_static(e, img.data(), 6, T, out.data(), rng);
    for (int m = 0; m < 6; ++m) {
      const double p = std::min(1.0, std::max(0.0, double(gain) * img[m]));
      double sum = 0;
      for (int64_t t = 0; t < T; ++t) {
        const float v = out[t * 6 + m];
        REQUIRE((v == 0.f || v == 1.f));
        sum += v;
      }
      // Binomial mean: |mean - p| <= 4.5 * sqrt(p(1-p)/T) (false alarm ~1e-5 per check); exact
      // for p = 0 and p = 1.
      CHECK(std::abs(sum / T - p) <= 4.5 * std::sqrt(p * (1 - p) / T) + 1e-12);
    }
  }
}

TEST_CASE("rate encoding is a function of the Rng stream", "[data][encoder]") {
  const std::vector<float> img(50, 0.5f);
  StaticEncoding e;
  std::vector<float> a(500), b(500), c(500);
  Rng r1(3, 7), r2(3, 7), r3(3, 8);
  encode_static(e, img.data(), 50, 10, a.data(), r1);
  encode_static(e, img.data(), 50, 10, b.data(), r2);
  encode_static(e, img.data(), 50, 10, c.data(), r3);
  CHECK(a == b);
  CHECK(a != c);
}

TEST_CASE("latency encoding: one spike at round((1 - x) (T - 1)) above threshold", "[data][encoder]") {
  const std::vector<float> img{1.f, 0.f, 0.5f, 0.2f, 0.05f, 0.75f};
  const int64_t T = 5;
  StaticEncoding e;
  e.type = StaticEncoding::Type::kLatency;
  e.threshold = 0.1f;
  std::vector<float> out(static_cast<size_t>(T) * 6, -1.f);
  Rng rng(0);
  encode_static(e, img.data(), 6, T, out.data(), rng);
  // x = 1 -> t 0; x = 0 and 0.05 <= threshold -> none; 0.5 -> round(2) = 2; 0.2 -> round(3.2) = 3;
  // 0.75 -> round(1.0) = 1.
  const std::vector<int> expected{0, -1, 2, 3, -1, 1};
  for (int m = 0; m < 6; ++m)
    for (int64_t t = 0; t < T; ++t) CHECK(out[t * 6 + m] == (t == expected[m] ? 1.f : 0.f));
}

TEST_CASE("encoders accept the image aliased to the last output step", "[data][encoder]") {
  const std::vector<float> img{0.2f, 0.9f, 0.0f};
  for (auto type : {StaticEncoding::Type::kDirect, StaticEncoding::Type::kRate,
                    StaticEncoding::Type::kLatency}) {
    StaticEncoding e;
    e.type = type;
    std::vector<float> ref(12), in_place(12);
    Rng r1(5), r2(5);
    encode_static(e, img.data(), 3, 4, ref.data(), r1);
    std::copy(img.begin(), img.end(), in_place.begin() + 9);
    encode_static(e, in_place.data() + 9, 3, 4, in_place.data(), r2);
    CHECK(ref == in_place);
  }
}

TEST_CASE("data.encoding YAML is validated", "[data][encoder]") {
  auto c = ConfigNode::parse("encoding: {type: rate, gain: 0.5}\n", "e.yaml");
  auto e = parse_static_encoding(c.child("encoding"));
  CHECK(e.type == StaticEncoding::Type::kRate);
  CHECK(e.gain == 0.5f);
  auto bad = ConfigNode::parse("encoding: {type: latency, gain: 0.5}\n", "b.yaml");
  CHECK_THROWS_WITH(parse_static_encoding(bad.child("encoding")),
                    Catch::Contains("b.yaml:1") && Catch::Contains("gain"));
  auto wrong = ConfigNode::parse("encoding: {type: poisson}\n", "w.yaml");
  CHECK_THROWS_WITH(parse_static_encoding(wrong.child("encoding")),
                    Catch::Contains("direct, rate, latency"));
}
