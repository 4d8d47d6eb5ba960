// End to end through the `soma` executable: train, eval, inspect, trace, resume, signals, errors.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "soma/io/checkpoint.hpp"
#include "soma/io/hdf5.hpp"
#include "support/run_soma.hpp"

using namespace soma;
using namespace soma::testing;
namespace fs = std::filesystem;

namespace {

const std::string kConfig = "tests/configs/good/digits_base.yaml";

// The number after "key": in a JSON text (first occurrence).
double json_number(const std::string& text, const std::string& key) {
  std::smatch m;
  const std::regex re("\"" + key + "\"\\s*:\\s*([-0-9.eE+]+)");
  REQUIRE(std::regex_search(text, m, re));
  return std::stod(m[1]);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Bitwise equality of every model tensor of two checkpoints.
void require_same_weights(const std::string& a, const std::string& b) {
  const Checkpoint ca = load_checkpoint(a), cb = load_checkpoint(b);
  int compared = 0;
  for (const auto& [key, ta] : ca.tensors) {
    if (key.rfind("model/", 0) != 0) continue;
    auto it = cb.tensors.find(key);
    REQUIRE(it != cb.tensors.end());
    REQUIRE(ta.numel() == it->second.numel());
    INFO(key);
    CHECK(std::memcmp(ta.data(), it->second.data(), sizeof(float) * ta.numel()) == 0);
    ++compared;
  }
  CHECK(compared >= 4);
}

}  // namespace

TEST_CASE("train, then eval the checkpoint alone reproduces the training-time accuracy", "[cli][e2e]") {
  const std::string out = scratch_dir("train_eval");
  auto r = run_soma("train " + kConfig + " --out " + out);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  REQUIRE(fs::exists(out + "/last.h5"));
  REQUIRE(fs::exists(out + "/best.h5"));
  REQUIRE(fs::exists(out + "/config.yaml"));
  REQUIRE(fs::exists(out + "/train.log"));
  REQUIRE(fs::exists(out + "/metrics.h5"));
  const std::string metrics = read_file(out + "/metrics.jsonl");
  // The last epoch line's test accuracy.
  const auto pos = metrics.rfind("test_accuracy");
  REQUIRE(pos != std::string::npos);
  const double trained = json_number(metrics.substr(pos - 1), "test_accuracy");
  CHECK(trained > 0.5);

  auto e = run_soma("eval " + out + "/last.h5 --report " + out + "/report.json");
  INFO(e.output);
  REQUIRE(e.exit_code == 0);
  const std::string report = read_file(out + "/report.json");
  CHECK(json_number(report, "accuracy") == Approx(trained).margin(1e-12));
  CHECK(json_number(report, "samples") == 397);
  CHECK(report.find("\"confusion\"") != std::string::npos);
  CHECK(report.find("\"firing_rate\"") != std::string::npos);
  CHECK(report.find("\"uj_per_sample\"") != std::string::npos);

  auto i = run_soma("inspect " + out + "/last.h5");
  INFO(i.output);
  CHECK(i.exit_code == 0);
  CHECK_THAT(i.output, Catch::Contains("/model/params/fc1/weight") && Catch::Contains("[64, 64]"));

  auto t = run_soma("trace " + out + "/last.h5 --out " + out + "/trace.h5");
  INFO(t.output);
  REQUIRE(t.exit_code == 0);
  H5File f = H5File::open_read(out + "/trace.h5");
  CHECK(f.exists("loss"));
  CHECK(f.read_tensor("input/x").shape() == Shape{4, 32, 1, 8, 8});
  CHECK(f.read_tensor("layers/lif1/output").shape() == Shape{4, 32, 64});
  CHECK(f.read_tensor("layers/lif1/membrane").shape() == Shape{4, 32, 64});
  CHECK(f.read_tensor("params/fc1/weight/grad").shape() == Shape{64, 64});
}

TEST_CASE("an interrupted run resumed with --resume ends bit-identical", "[cli][e2e][resume]") {
  const std::string full = scratch_dir("resume_full");
  const std::string part = scratch_dir("resume_part");
  REQUIRE(run_soma("train " + kConfig + " --out " + full).exit_code == 0);
  // 44 samples/32 = 1 batch... the digits train split has 1400 samples: 43 steps per epoch;
  // stop in the middle of epoch 1, then resume from the run directory.
  auto a = run_soma("train " + kConfig + " --out " + part + " --set train.max_steps=20");
  INFO(a.output);
  REQUIRE(a.exit_code == 0);
  REQUIRE(fs::exists(part + "/last.h5"));
  auto b = run_soma("train " + kConfig + " --out " + part + " --resume auto");
  INFO(b.output);
  REQUIRE(b.exit_code == 0);
  CHECK_THAT(b.output, Catch::Contains("resumed from"));
  require_same_weights(full + "/last.h5", part + "/last.h5");
}

TEST_CASE("SIGTERM finishes the step and writes a loadable checkpoint", "[cli][e2e][signal]") {
  const std::string out = scratch_dir("sigterm");
  const std::string bin = std::string(SOMA_BINARY_DIR) + "/bin/soma";
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    REQUIRE(chdir(SOMA_SOURCE_DIR) == 0);
    const std::string log = out + "/stdout.txt";
    freopen(log.c_str(), "w", stderr);
    execl(bin.c_str(), bin.c_str(), "train", kConfig.c_str(), "--out", out.c_str(), "--set",
          "train.epochs=200", static_cast<char*>(nullptr));
    _exit(127);
  }
  // Wait until training has logged steps, then ask it to stop.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline &&
         read_file(out + "/metrics.jsonl").find("\"step\"") == std::string::npos)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  INFO(read_file(out + "/stdout.txt"));
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  const Checkpoint c = load_checkpoint(out + "/last.h5");
  const auto& cursor = c.ints.at("trainer/cursor");
  CHECK(cursor[2] > 0);      // some steps were done
  CHECK(cursor[0] < 200);    // and the run did not finish
  CHECK_FALSE(fs::exists(out + "/last.h5.tmp"));
}

TEST_CASE("CLI exit codes: config errors 2, runtime errors 1, help 0", "[cli]") {
  auto bad = run_soma("train tests/configs/bad/misspelled_layer_key.yaml");
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.output, Catch::Contains("misspelled_layer_key.yaml:12") && Catch::Contains("v_treshold"));
  CHECK(run_soma("train").exit_code == 2);
  CHECK(run_soma("frobnicate").exit_code == 2);
  CHECK(run_soma("--help").exit_code == 0);
  CHECK(run_soma("train --help").exit_code == 0);

  const std::string dir = scratch_dir("corrupt");
  { std::ofstream(dir + "/broken.h5") << "\x89HDF\r\n\x1a\n this is not really hdf5"; }
  auto c = run_soma("eval " + dir + "/broken.h5");
  CHECK(c.exit_code == 1);
  CHECK_THAT(c.output, Catch::Contains("broken.h5"));
}

TEST_CASE("soma layers lists types and documents keys with defaults", "[cli]") {
  auto all = run_soma("layers");
  REQUIRE(all.exit_code == 0);
  for (const char* t : {"linear", "conv2d", "lif", "plif", "liaf", "if", "batchnorm", "readout"})
    CHECK_THAT(all.output, Catch::Contains(t));
  auto lif = run_soma("layers lif");
  REQUIRE(lif.exit_code == 0);
  CHECK_THAT(lif.output, Catch::Contains("v_threshold") && Catch::Contains("surrogate"));
  CHECK(run_soma("layers nosuchlayer").exit_code == 2);
  CHECK_THAT(all.output, Catch::Contains("sew_block"));
  auto sew = run_soma("layers sew_block");
  INFO(sew.output);
  REQUIRE(sew.exit_code == 0);
  CHECK_THAT(sew.output, Catch::Contains("connect") && Catch::Contains("out_channels"));
}

TEST_CASE("training gives bit-identical weights with 1 and 2 threads", "[cli][e2e][threads]") {
  const std::string one = scratch_dir("threads_1");
  const std::string two = scratch_dir("threads_2");
  auto a = run_soma("--threads 1 train " + kConfig + " --out " + one + " --set train.epochs=1");
  auto b = run_soma("--threads 2 train " + kConfig + " --out " + two + " --set train.epochs=1");
  INFO(a.output << b.output);
  REQUIRE(a.exit_code == 0);
  REQUIRE(b.exit_code == 0);
  require_same_weights(one + "/last.h5", two + "/last.h5");
}

TEST_CASE("resume refuses a checkpoint of another model and leaves the run untouched", "[cli][e2e]") {
  const std::string out = scratch_dir("resume_mismatch");
  REQUIRE(run_soma("train " + kConfig + " --out " + out + " --set train.epochs=1").exit_code == 0);
  const auto before = fs::last_write_time(out + "/last.h5");
  const std::string config_before = read_file(out + "/config.yaml");
  // The same run directory with a wider hidden layer: fc1/weight no longer fits.
  auto r = run_soma("train " + kConfig + " --out " + out +
                    " --resume auto --set model.layers[1].out_features=32");
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("model/params/fc1/weight") && Catch::Contains("[64, 64]"));
  CHECK(fs::last_write_time(out + "/last.h5") == before);
  CHECK(read_file(out + "/config.yaml") == config_before);
}
