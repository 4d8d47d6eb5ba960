// Surrogate functions: grad == d primitive / dz, integrals, array forms, YAML parsing.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "soma/core/config_node.hpp"
#include "soma/ops/surrogate.hpp"

using namespace soma;

namespace {

const SurrogateKind kAllKinds[] = {SurrogateKind::kRectangular, SurrogateKind::kTriangle,
                                   SurrogateKind::kSigmoid,     SurrogateKind::kAtan,
                                   SurrogateKind::kFastSigmoid, SurrogateKind::kGaussian};

// Points where grad jumps (rectangular: d primitive/dz does not exist) or has a kink (triangle,
// fast_sigmoid: a central difference across it is off by O(h grad'')).
bool near_kink(const Surrogate& s, double z, double h) {
  switch (s.kind) {
    case SurrogateKind::kRectangular: return std::fabs(std::fabs(z) - 0.5 * s.param) < 2 * h;
    case SurrogateKind::kTriangle:
      return std::fabs(z) < 2 * h || std::fabs(std::fabs(z) - s.param) < 2 * h;
    case SurrogateKind::kFastSigmoid: return std::fabs(z) < 2 * h;
    default: return false;
  }
}

// Integral of grad over [-L, L] by the midpoint rule, in double.
double integral(const Surrogate& s, double L, double dz) {
  double sum = 0.0;
  const int64_t n = static_cast<int64_t>(2 * L / dz);
  for (int64_t i = 0; i < n; ++i) sum += s.grad(static_cast<float>(-L + (i + 0.5) * dz));
  return sum * dz;
}

}  // namespace

TEST_CASE("surrogate grad is the derivative of primitive on a grid of z", "[surrogate][grad]") {
  for (SurrogateKind kind : kAllKinds) {
    for (float scale : {1.f, 0.5f, 2.f}) {
      Surrogate s{kind, Surrogate::default_param(kind) * scale};
      INFO("surrogate " << s.name() << " " << s.param_name() << " = " << s.param);
      const double h = 1e-3;
      int checked = 0;
      for (double z = -3.0; z <= 3.0; z += 0.0137) {
        if (near_kink(s, z, h)) continue;
        const double fd = (double(s.primitive(float(z + h))) - s.primitive(float(z - h))) / (2 * h);
        const double g = s.grad(float(z));
        INFO("z = " << z);
        CHECK(fd == Approx(g).margin(2e-3 * std::max(1.0, std::fabs(g))));
        ++checked;
      }
      CHECK(checked > 400);
    }
  }
}

TEST_CASE("surrogate grads integrate to 1 (fast_sigmoid: 2/alpha)", "[surrogate]") {
  for (SurrogateKind kind : kAllKinds) {
    Surrogate s{kind, Surrogate::default_param(kind)};
    INFO("surrogate " << s.name());
    const double L = 2000.0;
    const double I = integral(s, L, 1e-3);
    double expected = 1.0;
    double tol = 1e-3;
    if (kind == SurrogateKind::kFastSigmoid) {
      // 2 * int_0^L dz / (1 + a z)^2 = (2/a) (1 - 1/(1 + a L))
      const double a = s.param;
      expected = 2.0 / a * (1.0 - 1.0 / (1.0 + a * L));
    } else if (kind == SurrogateKind::kAtan) {
      tol = 2e-3;  // heavy tails: 1 - (2/pi) atan(pi a L / 2) ~ 1e-4 outside [-L, L]
    }
    CHECK(I == Approx(expected).margin(tol));
    // primitive(z) = integral of grad from -inf to z: 0 far left, the total far right.
    CHECK(s.primitive(-1e4f) == Approx(0.0).margin(1e-3));
    CHECK(s.primitive(1e4f) == Approx(kind == SurrogateKind::kFastSigmoid ? 2.0 / s.param : 1.0)
                                   .margin(1e-3));
    // Every surrogate peaks at z = 0 and is symmetric.
    CHECK(s.grad(0.3f) == Approx(s.grad(-0.3f)));
    CHECK(s.grad(0.f) >= s.grad(0.3f));
  }
}

TEST_CASE("surrogate formulas at known points", "[surrogate]") {
  const float pi = 3.14159265358979f;
  CHECK(Surrogate{SurrogateKind::kAtan, 2.f}.grad(0.f) == Approx(1.0));
  CHECK(Surrogate{SurrogateKind::kAtan, 2.f}.grad(0.5f) == Approx(1.0 / (1.0 + pi * pi / 4)));
  CHECK(Surrogate{SurrogateKind::kAtan, 2.f}.primitive(0.f) == Approx(0.5));
  CHECK(Surrogate{SurrogateKind::kSigmoid, 4.f}.grad(0.f) == Approx(1.0));
  CHECK(Surrogate{SurrogateKind::kRectangular, 1.f}.grad(0.49f) == Approx(1.0));
  CHECK(Surrogate{SurrogateKind::kRectangular, 1.f}.grad(0.51f) == 0.f);
  CHECK(Surrogate{SurrogateKind::kRectangular, 0.5f}.grad(0.f) == Approx(2.0));
  CHECK(Surrogate{SurrogateKind::kTriangle, 1.f}.grad(0.25f) == Approx(0.75));
  CHECK(Surrogate{SurrogateKind::kTriangle, 2.f}.grad(1.f) == Approx(0.25));
  CHECK(Surrogate{SurrogateKind::kFastSigmoid, 25.f}.grad(0.04f) == Approx(0.25));
  CHECK(Surrogate{SurrogateKind::kGaussian, 0.5f}.grad(0.f) == Approx(0.7978845608));
  CHECK(Surrogate{SurrogateKind::kGaussian, 0.5f}.primitive(0.5f) == Approx(0.8413447461));
}

TEST_CASE("surrogate array forms equal the scalar forms", "[surrogate]") {
  std::vector<float> z(301), g(301), p(301);
  for (size_t i = 0; i < z.size(); ++i) z[i] = -1.5f + 0.01f * float(i);
  for (SurrogateKind kind : kAllKinds) {
    Surrogate s{kind, Surrogate::default_param(kind)};
    s.grad(z.data(), g.data(), int64_t(z.size()));
    s.primitive(z.data(), p.data(), int64_t(z.size()));
    for (size_t i = 0; i < z.size(); ++i) {
      REQUIRE(g[i] == s.grad(z[i]));
      REQUIRE(p[i] == s.primitive(z[i]));
    }
  }
}

TEST_CASE("surrogate parses from YAML with defaults and strict keys", "[surrogate][config]") {
  auto parse = [](const std::string& yaml) {
    return Surrogate::parse(ConfigNode::parse(yaml, "test.yaml"), "surrogate");
  };
  Surrogate d = parse("{type: lif}");
  CHECK(d.kind == SurrogateKind::kAtan);
  CHECK(d.param == 2.f);
  Surrogate g = parse("{surrogate: {type: gaussian}}");
  CHECK(g.kind == SurrogateKind::kGaussian);
  CHECK(g.param == 0.5f);
  CHECK(g.name() == "gaussian");
  Surrogate f = parse("{surrogate: {type: fast_sigmoid, alpha: 10}}");
  CHECK(f.kind == SurrogateKind::kFastSigmoid);
  CHECK(f.param == 10.f);
  CHECK(parse("{surrogate: {type: rectangular, a: 0.5}}").param == 0.5f);
  CHECK(parse("{surrogate: {type: triangle}}").param_name() == "w");

  CHECK_THROWS_WITH(parse("{surrogate: {type: arctan}}"),
                    Catch::Contains("arctan") && Catch::Contains("rectangular, triangle, sigmoid, "
                                                                 "atan, fast_sigmoid, gaussian"));
  CHECK_THROWS_AS(parse("{surrogate: {type: arctan}}"), ConfigError);
  CHECK_THROWS_WITH(parse("{surrogate: {type: atan, sigma: 1.0}}"),
                    Catch::Contains("unknown key 'sigma'"));
  CHECK_THROWS_WITH(parse("{surrogate: {type: sigmoid, alpha: 0}}"), Catch::Contains("> 0"));
  CHECK_THROWS_WITH(parse("{surrogate: atan}"), Catch::Contains("expected a map"));
}
