#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "io_test_util.hpp"
#include "soma/core/error.hpp"
#include "soma/io/hdf5.hpp"
#include "soma/io/metrics_writer.hpp"

namespace fs = std::filesystem;
using soma::H5File;
using soma::MetricsWriter;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

size_t count_lines(const std::string& text) {
  size_t n = 0;
  for (char ch : text) n += ch == '\n';
  return n;
}

// Same length, and equal element by element with NaN == NaN.
void check_series(const std::vector<double>& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("row " << i);
    if (std::isnan(want[i])) {
      CHECK(std::isnan(got[i]));
    } else {
      CHECK(got[i] == want[i]);
    }
  }
}

}  // namespace

TEST_CASE("MetricsWriter writes JSONL lines and NaN-padded HDF5 series", "[io][metrics]") {
  const std::string dir = soma::test::scratch_dir("metrics_basic") + "/run";  // created by the writer
  {
    MetricsWriter w(dir, false);
    w.write("step", {{"step", 1}, {"loss", 2.5}});
    w.write("step", {{"step", 2}, {"loss", 2.0}, {"acc", 0.25}});  // acc appears later
    w.write("step", {{"step", 3}, {"acc", 0.5}});                  // loss missing
    w.write("epoch", {{"epoch", 0}, {"val_acc", kNaN}});
    CHECK(w.rows("step") == 3);
    CHECK(w.rows("epoch") == 1);
    CHECK(w.rows("eval") == 0);
    CHECK_THROWS_WITH(w.write("step", {{"kind", 1}}), Catch::Contains("'kind' is reserved"));
    CHECK_THROWS_WITH(w.write("step", {{"a/b", 1}}), Catch::Contains("invalid metric key 'a/b'"));
    CHECK_THROWS_WITH(w.write("", {{"a", 1}}), Catch::Contains("invalid metric kind"));
    CHECK_THROWS_WITH(w.write("step", {{"a", 1}, {"a", 2}}), Catch::Contains("given twice"));
    CHECK(w.rows("step") == 3);
    w.close();
  }
  const std::string jsonl = soma::test::read_text(dir + "/metrics.jsonl");
  CHECK(jsonl ==
        "{\"kind\":\"step\",\"step\":1,\"loss\":2.5}\n"
        "{\"kind\":\"step\",\"step\":2,\"loss\":2,\"acc\":0.25}\n"
        "{\"kind\":\"step\",\"step\":3,\"acc\":0.5}\n"
        "{\"kind\":\"epoch\",\"epoch\":0,\"val_acc\":null}\n");

  H5File f = H5File::open_read(dir + "/metrics.h5");
  CHECK(f.list("/") == std::vector<std::string>{"epoch", "step"});
  CHECK(f.list("step") == std::vector<std::string>{"acc", "loss", "step"});
  check_series(f.read_array<double>("step/step"), {1, 2, 3});
  check_series(f.read_array<double>("step/loss"), {2.5, 2.0, kNaN});
  check_series(f.read_array<double>("step/acc"), {kNaN, 0.25, 0.5});
  check_series(f.read_array<double>("epoch/val_acc"), {kNaN});

  if (soma::test::have_python_module("json")) {
    int rc = 0;
    const std::string out = soma::test::run_python(fs::path(dir).parent_path().string(),
        "import json, sys\n"
        "rows = [json.loads(l) for l in open(sys.argv[1])]\n"
        "print(len(rows), [list(r.keys()) for r in rows][1], rows[3]['val_acc'], rows[0]['loss'])\n",
        dir + "/metrics.jsonl", rc);
    REQUIRE(rc == 0);
    CHECK(out == "4 ['kind', 'step', 'loss', 'acc'] None 2.5\n");
  }
}

TEST_CASE("MetricsWriter append mode continues both files, fresh mode truncates", "[io][metrics]") {
  const std::string dir = soma::test::scratch_dir("metrics_append");
  {
    MetricsWriter w(dir, false);
    w.write("step", {{"step", 1}, {"loss", 1.0}});
    w.write("step", {{"step", 2}, {"loss", 0.5}});
  }
  // A kill mid-line leaves a partial JSON line; a kill between two appends leaves short series.
  {
    std::FILE* fp = std::fopen((dir + "/metrics.jsonl").c_str(), "ab");
    std::fputs("{\"kind\":\"step\",\"st", fp);
    std::fclose(fp);
    H5File f = H5File::open_rw(dir + "/metrics.h5");
    f.append("step/step", 3.0);
  }
  {
    MetricsWriter w(dir, true);
    CHECK(w.rows("step") == 3);
    w.write("step", {{"step", 4}, {"loss", 0.25}, {"lr", 0.1}});
    w.write("eval", {{"acc", 0.9}});
  }
  const std::string jsonl = soma::test::read_text(dir + "/metrics.jsonl");
  CHECK(jsonl ==
        "{\"kind\":\"step\",\"step\":1,\"loss\":1}\n"
        "{\"kind\":\"step\",\"step\":2,\"loss\":0.5}\n"
        "{\"kind\":\"step\",\"step\":4,\"loss\":0.25,\"lr\":0.1}\n"
        "{\"kind\":\"eval\",\"acc\":0.9}\n");
  {
    H5File f = H5File::open_read(dir + "/metrics.h5");
    check_series(f.read_array<double>("step/step"), {1, 2, 3, 4});
    check_series(f.read_array<double>("step/loss"), {1.0, 0.5, kNaN, 0.25});
    check_series(f.read_array<double>("step/lr"), {kNaN, kNaN, kNaN, 0.1});
    check_series(f.read_array<double>("eval/acc"), {0.9});
  }
  {
    MetricsWriter w(dir, false);
    w.write("step", {{"step", 1}});
  }
  CHECK(count_lines(soma::test::read_text(dir + "/metrics.jsonl")) == 1);
  H5File f = H5File::open_read(dir + "/metrics.h5");
  CHECK(f.list("/") == std::vector<std::string>{"step"});
  CHECK(f.numel("step/step") == 1);
}

TEST_CASE("MetricsWriter append mode on a fresh directory starts new files", "[io][metrics]") {
  const std::string dir = soma::test::scratch_dir("metrics_append_fresh");
  MetricsWriter w(dir, true);
  w.write("epoch", {{"epoch", 1}});
  CHECK(w.rows("epoch") == 1);
  CHECK(fs::exists(w.h5_path()));
  CHECK(count_lines(soma::test::read_text(w.jsonl_path())) == 1);
}

TEST_CASE("A killed metrics writer leaves readable files", "[io][metrics]") {
  const std::string dir = soma::test::scratch_dir("metrics_killed");
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // Child: write, then die without closing anything (no destructors, no atexit handlers).
    try {
      auto* w = new MetricsWriter(dir, false);
      for (int i = 0; i < 50; ++i) w->write("step", {{"step", double(i)}, {"loss", 1.0 / (i + 1)}});
    } catch (...) {
      _exit(3);
    }
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  {
    H5File f = H5File::open_read(dir + "/metrics.h5");
    const std::vector<double> step = f.read_array<double>("step/step");
    REQUIRE(step.size() == 50);
    CHECK(step[49] == 49);
    CHECK(f.read_array<double>("step/loss")[1] == 0.5);
  }
  CHECK(count_lines(soma::test::read_text(dir + "/metrics.jsonl")) == 50);
  // And resuming from it works.
  MetricsWriter w(dir, true);
  CHECK(w.rows("step") == 50);
}

TEST_CASE("MetricsWriter reports an unusable directory", "[io][metrics][errors]") {
  const std::string dir = soma::test::scratch_dir("metrics_bad");
  soma::test::write_text(dir + "/file", "x");
  CHECK_THROWS_AS(MetricsWriter(dir + "/file", false), soma::IoError);
  soma::test::write_text(dir + "/metrics.h5", "garbage");
  CHECK_THROWS_WITH(MetricsWriter(dir, true), Catch::Contains("metrics.h5: cannot open as HDF5"));
}

TEST_CASE("h5py can read metrics.h5 while the writer still has it open", "[io][metrics][python]") {
  if (!soma::test::have_python_module("h5py")) {
    WARN("python3-h5py is not installed: skipping the h5py check");
    return;
  }
  const std::string dir = soma::test::scratch_dir("metrics_live");
  MetricsWriter w(dir, false);
  w.write("step", {{"step", 1}, {"loss", 0.5}});
  w.write("step", {{"step", 2}, {"loss", 0.25}});
  int rc = 0;
  const std::string out = soma::test::run_python(dir,
      "import h5py, sys\n"
      "f = h5py.File(sys.argv[1], 'r')\n"
      "print(list(f['step/loss'][()]), f['step/step'].maxshape)\n",
      dir + "/metrics.h5", rc);
  INFO(out);
  REQUIRE(rc == 0);
  CHECK(out == "[0.5, 0.25] (None,)\n");
  w.write("step", {{"step", 3}});
  CHECK(w.rows("step") == 3);
}
