#include <catch2/catch.hpp>

#include "soma/core/config_node.hpp"

using soma::ConfigError;
using soma::ConfigNode;

TEST_CASE("ConfigNode reads typed values with defaults", "[core][config]") {
  auto c = ConfigNode::parse("a: 1.5\nb: 3\nc: true\nd: hello\ne: [1, 2]\nk: 3\n", "t.yaml");
  CHECK(c.get_float("a") == 1.5f);
  CHECK(c.get_int("b") == 3);
  CHECK(c.get_bool("c", false));
  CHECK(c.get_string("d") == "hello");
  CHECK(c.get_int_list("e") == std::vector<int64_t>{1, 2});
  CHECK(c.get_ints("k", 2, {1, 1}) == std::vector<int64_t>{3, 3});
  CHECK(c.get_float("missing", 2.f) == 2.f);
  c.ensure_all_used();
}

TEST_CASE("ConfigNode errors name file:line:col, key path and the known keys", "[core][config]") {
  auto root = ConfigNode::parse("model:\n  tau: 2.0\n  v_treshold: 1.0\n", "cfg.yaml");
  auto m = root.child("model");
  m.get_float("tau", 2.f);
  m.get_float("v_threshold", 1.f);
  try {
    m.ensure_all_used();
    FAIL("expected a ConfigError");
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    CHECK_THAT(msg, Catch::Contains("cfg.yaml:3:3"));
    CHECK_THAT(msg, Catch::Contains("model.v_treshold"));
    CHECK_THAT(msg, Catch::Contains("known: tau, v_threshold"));
  }
}

TEST_CASE("ConfigNode rejects wrong types and invalid choices", "[core][config]") {
  auto c = ConfigNode::parse("tau: fast\nreset: medium\nn: 2.5\n", "x.yaml");
  CHECK_THROWS_WITH(c.get_float("tau"), Catch::Contains("x.yaml:1:1") && Catch::Contains("expected a number"));
  CHECK_THROWS_WITH(c.get_choice("reset", {"hard", "soft"}, "hard"),
                    Catch::Contains("choices: hard, soft"));
  CHECK_THROWS_WITH(c.get_int("n"), Catch::Contains("expected an integer"));
  CHECK_THROWS_WITH(c.get_int("absent"), Catch::Contains("missing required key 'absent'"));
}

TEST_CASE("ConfigNode reports malformed YAML with a position", "[core][config]") {
  CHECK_THROWS_AS(ConfigNode::parse("a: [1, 2\nb: 3\n", "bad.yaml"), ConfigError);
  CHECK_THROWS_WITH(ConfigNode::parse("a: [1, 2\nb: 3\n", "bad.yaml"), Catch::Contains("bad.yaml:"));
}
