// Every config in tests/configs/bad/ must fail with a ConfigError whose message contains the
// location and the text named on its first line: `# expect: file.yaml:line:col | text`.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "soma/core/config_loader.hpp"
#include "soma/train/experiment.hpp"

namespace fs = std::filesystem;

TEST_CASE("every bad config fails with its expected file:line:col and message", "[config][bad]") {
  const fs::path dir = fs::path(SOMA_SOURCE_DIR) / "tests/configs/bad";
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") continue;
    std::ifstream in(entry.path());
    std::string first;
    std::getline(in, first);
    const std::string prefix = "# expect: ";
    REQUIRE(first.rfind(prefix, 0) == 0);
    const auto bar = first.find(" | ");
    REQUIRE(bar != std::string::npos);
    const std::string where = first.substr(prefix.size(), bar - prefix.size());
    const std::string text = first.substr(bar + 3);
    INFO("config " << entry.path().string());
    try {
      const soma::ConfigNode root = soma::load_config(entry.path().string());
      soma::make_experiment(root, "bad");
      FAIL("no error for " << entry.path().string());
    } catch (const soma::ConfigError& e) {
      const std::string msg = e.what();
      INFO("message: " << msg);
      CHECK_THAT(msg, Catch::Contains(where));
      CHECK_THAT(msg, Catch::Contains(text));
    }
    ++checked;
  }
  CHECK(checked >= 10);
}
