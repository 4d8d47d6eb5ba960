// `soma bench` end to end: the JSON it prints and its errors.
#include <catch2/catch.hpp>

#include "soma/core/error.hpp"

#include <regex>

#include "support/run_soma.hpp"

using namespace soma::testing;

namespace {

// The number after "key": (first occurrence); -1 when missing or null.
double json_number(const std::string& text, const std::string& key) {
  std::smatch m;
  const std::regex re("\"" + key + "\"\\s*:\\s*([-0-9.eE+]+)");
  if (!std::regex_search(text, m, re)) return -1;
  return std::stod(m[1]);
}

}  // namespace

TEST_CASE("soma bench --json prints one valid JSON object with the required keys", "[cli][bench]") {
  const auto r = run_soma("--log-level off bench tests/configs/good/digits_base.yaml --json --repeats 2");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  // Exactly one line, one object.
  CHECK(r.output.find('\n') == r.output.size() - 1);
  CHECK(r.output.front() == '{');
  for (const char* key : {"train_samples_per_s", "infer_samples_per_s", "peak_rss_mb", "threads",
                          "batch", "T", "fwd_gflop_per_sample", "train_gflop_per_sample"})
    CHECK(json_number(r.output, key) > 0);
  CHECK(json_number(r.output, "batch") == 32);
  CHECK(json_number(r.output, "T") == 4);
  CHECK(r.output.find("\"workload\":\"digits_base\"") != std::string::npos);
  CHECK(r.output.find("\"soma_version\":") != std::string::npos);
  CHECK(r.output.find("\"git_sha\":") != std::string::npos);

  // A real JSON parser agrees (python3 is on every supported system).
  // str_cat, not operator+ on std::string: GCC 12 warns falsely (-Wrestrict, GCC bug 105329).
  const auto p = run_shell(soma::str_cat(
      "'", SOMA_BINARY_DIR,
      "/bin/soma' --log-level off bench tests/configs/good/digits_base.yaml --json --repeats 2 "
      "--threads 1 | python3 -c 'import json,sys; d=json.load(sys.stdin); "
      "assert d[\"train_samples_per_s\"] > 0 and d[\"infer_samples_per_s\"] > 0, d; "
      "assert d[\"peak_rss_mb\"] > 0 and d[\"threads\"] == 1, d; "
      "assert len(d[\"train\"][\"times_s\"]) == 2, d; print(\"ok\")'"));
  INFO(p.output);
  CHECK(p.exit_code == 0);
  CHECK(p.output == "ok\n");
}

TEST_CASE("soma bench: modes and overrides and the human-readable form", "[cli][bench]") {
  auto r = run_soma("--log-level off bench tests/configs/good/digits_base.yaml --json --repeats 1 "
                    "--warmup 0 --mode infer --set data.batch_size=8");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(r.output.find("\"train_samples_per_s\":null") != std::string::npos);
  CHECK(json_number(r.output, "infer_samples_per_s") > 0);
  CHECK(json_number(r.output, "batch") == 8);

  r = run_soma("bench bench/nmnist-mlp.yaml --repeats 1 --warmup 0 --set data.batch_size=4");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(std::regex_search(r.output, std::regex(R"(train\s+[0-9.]+ samples/s)")));
  CHECK(std::regex_search(r.output, std::regex(R"(infer\s+[0-9.]+ samples/s)")));
  CHECK(r.output.find("synthetic (timing only") != std::string::npos);
}

TEST_CASE("soma bench: usage and config errors exit 2", "[cli][bench]") {
  CHECK(run_soma("bench no/such/config.yaml").exit_code == 2);
  CHECK(run_soma("bench tests/configs/good/digits_base.yaml --mode sideways").exit_code == 2);
  CHECK(run_soma("bench tests/configs/good/digits_base.yaml --repeats 0").exit_code == 2);
  const auto r = run_soma("bench bench/nmnist-mlp.yaml --set data.density=2");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("density") != std::string::npos);
}

TEST_CASE("soma --version names the commit the binary was built from", "[cli]") {
  // The stamp is refreshed at every build (cmake/git_sha.cmake), not frozen at configure time.
  const auto head = run_shell("git rev-parse --short=12 HEAD 2>/dev/null");
  if (head.exit_code != 0 || head.output.size() < 12) {
    WARN("not a git checkout: no commit to compare with");
    return;
  }
  const std::string sha = head.output.substr(0, 12);
  const auto v = run_soma("--version");
  INFO(v.output);
  CHECK(v.exit_code == 0);
  CHECK(v.output.find("(" + sha + ")") != std::string::npos);
}
