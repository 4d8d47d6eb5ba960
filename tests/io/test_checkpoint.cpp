#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "io_test_util.hpp"
#include "soma/core/error.hpp"
#include "soma/io/checkpoint.hpp"
#include "soma/io/hdf5.hpp"
#include "soma/io/sha256.hpp"

namespace fs = std::filesystem;
using soma::Checkpoint;
using soma::IoError;
using soma::Shape;
using soma::Tensor;

namespace {

Tensor ramp(const Shape& s, float offset) {
  Tensor t(s);
  for (int64_t i = 0; i < t.numel(); ++i) t[i] = offset + 0.5f * static_cast<float>(i);
  return t;
}

Checkpoint sample() {
  Checkpoint c;
  const std::string yaml = "version: 1\nmodel:\n  layers: []\n";
  c.meta = {{"soma_version", "0.1.0"}, {"git_sha", "abc123"}, {"created", "2024-01-01T00:00:00Z"},
            {"config_yaml", yaml}, {"config_sha256", soma::sha256_hex(yaml)}};
  c.tensors["model/params/fc/weight"] = ramp(Shape{10, 4}, 1.f);
  c.tensors["model/params/fc/bias"] = ramp(Shape{10}, -2.f);
  c.tensors["model/buffers/bn1/running_mean"] = ramp(Shape{3}, 0.f);
  c.tensors["optimizer/fc/weight/m"] = ramp(Shape{10, 4}, 0.25f);
  c.ints["trainer/cursor"] = {5, -1, std::numeric_limits<int64_t>::max()};
  c.ints["trainer/empty"] = {};
  c.u64s["trainer/rng/data"] = {1, 2, 3, std::numeric_limits<uint64_t>::max()};
  c.scalars["trainer/epoch"] = 3;
  c.scalars["trainer/lr"] = 1e-3;
  return c;
}

void check_same(const Checkpoint& a, const Checkpoint& b) {
  CHECK(a.format_version == b.format_version);
  CHECK(a.meta == b.meta);
  CHECK(a.ints == b.ints);
  CHECK(a.u64s == b.u64s);
  CHECK(a.scalars == b.scalars);
  REQUIRE(a.tensors.size() == b.tensors.size());
  for (const auto& [k, t] : a.tensors) {
    INFO(k);
    REQUIRE(b.tensors.count(k) == 1);
    const Tensor& u = b.tensors.at(k);
    REQUIRE(u.shape() == t.shape());
    for (int64_t i = 0; i < t.numel(); ++i) REQUIRE(u[i] == t[i]);
  }
}

}  // namespace

TEST_CASE("Checkpoint round trip keeps every key, type and value", "[io][checkpoint]") {
  const std::string path = soma::test::scratch_dir("ckpt_roundtrip") + "/last.h5";
  const Checkpoint c = sample();
  soma::save_checkpoint(path, c);
  CHECK(fs::exists(path));
  CHECK_FALSE(fs::exists(path + ".tmp"));
  const Checkpoint d = soma::load_checkpoint(path);
  check_same(c, d);
  CHECK(d.source == path);

  // The layout is the documented one.
  soma::H5File f = soma::H5File::open_read(path);
  CHECK(f.attr_int("meta", "format_version") == 1);
  CHECK(f.attr_string("meta", "config_sha256") == soma::sha256_hex(c.meta.at("config_yaml")));
  CHECK(f.dims("trainer/epoch").empty());
  CHECK(f.dtype("trainer/cursor") == soma::H5DType::kInt64);
  CHECK(f.dtype("trainer/rng/data") == soma::H5DType::kUInt64);

  // Saving again replaces the file.
  Checkpoint e = c;
  e.scalars["trainer/epoch"] = 4;
  soma::save_checkpoint(path, e);
  CHECK(soma::load_checkpoint(path).scalar("trainer/epoch") == 4);
}

TEST_CASE("Checkpoint helpers for strict loading name the key", "[io][checkpoint]") {
  const std::string path = soma::test::scratch_dir("ckpt_strict") + "/x.h5";
  soma::save_checkpoint(path, sample());
  const Checkpoint c = soma::load_checkpoint(path);
  CHECK(c.tensor("model/params/fc/weight", Shape{10, 4}).shape() == Shape{10, 4});
  CHECK_THROWS_AS(c.tensor("model/params/fc/weight", Shape{10, 8}), IoError);
  CHECK_THROWS_WITH(c.tensor("model/params/fc/weight", Shape{10, 8}),
                    "checkpoint " + path + ": /model/params/fc/weight has shape [10, 4], model expects [10, 8]");
  CHECK_THROWS_WITH(c.tensor("model/params/lif1/tau", Shape{1}),
                    Catch::StartsWith("checkpoint " + path + ": /model/params/lif1/tau not found"));
  CHECK(c.int_values("trainer/cursor")[0] == 5);
  CHECK_THROWS_WITH(c.int_values("trainer/rng/data"), Catch::Contains("/trainer/rng/data not found (expected an int64 array)"));
  CHECK(c.u64_values("trainer/rng/data").size() == 4);
  CHECK_THROWS_AS(c.u64_values("x"), IoError);
  CHECK(c.scalar("trainer/lr") == 1e-3);
  CHECK_THROWS_WITH(c.scalar("trainer/step"), Catch::Contains("/trainer/step not found"));
  CHECK(c.meta_value("git_sha") == "abc123");
  CHECK_THROWS_WITH(c.meta_value("nope"), Catch::Contains("/meta has no attribute 'nope'"));
  CHECK(c.has("trainer/epoch"));
  CHECK_FALSE(c.has("trainer"));
  CHECK(c.keys_under("model/params") ==
        std::vector<std::string>{"model/params/fc/bias", "model/params/fc/weight"});
  CHECK(c.keys_under("model/params/").size() == 2);
  CHECK(c.keys_under("trainer") == std::vector<std::string>{"trainer/cursor", "trainer/empty", "trainer/epoch",
                                                           "trainer/lr", "trainer/rng/data"});
  CHECK(c.keys_under("model/param").empty());  // whole path components only
  CHECK(c.keys_under("").size() == 9);
}

TEST_CASE("Checkpoint files are readable by h5py", "[io][checkpoint][python]") {
  if (!soma::test::have_python_module("h5py")) {
    WARN("python3-h5py is not installed: skipping the h5py check");
    return;
  }
  const std::string dir = soma::test::scratch_dir("ckpt_h5py");
  soma::save_checkpoint(dir + "/c.h5", sample());
  int rc = 0;
  const std::string out = soma::test::run_python(dir,
      "import h5py, sys\n"
      "f = h5py.File(sys.argv[1], 'r')\n"
      "w = f['model/params/fc/weight']\n"
      "print(w.dtype, w.shape, float(w[1, 2]), float(f['model/params/fc/bias'][0]))\n"
      "m = f['meta'].attrs\n"
      "print(int(m['format_version']), type(m['config_yaml']).__name__, m['git_sha'], repr(m['config_yaml']))\n"
      "print(f['trainer/epoch'].shape, float(f['trainer/epoch'][()]), f['trainer/cursor'].dtype,"
      " list(f['trainer/cursor'][()]), f['trainer/rng/data'].dtype, int(f['trainer/rng/data'][3]))\n",
      dir + "/c.h5", rc);
  INFO(out);
  REQUIRE(rc == 0);
  CHECK(out ==
        "float32 (10, 4) 4.0 -2.0\n"
        "1 str abc123 'version: 1\\nmodel:\\n  layers: []\\n'\n"
        "() 3.0 int64 [5, -1, 9223372036854775807] uint64 18446744073709551615\n");
}

TEST_CASE("Loading a corrupt, truncated, foreign or newer checkpoint throws IoError", "[io][checkpoint][errors]") {
  const std::string dir = soma::test::scratch_dir("ckpt_bad");
  const std::string good = dir + "/good.h5";
  soma::save_checkpoint(good, sample());

  const std::string half = dir + "/half.h5";
  fs::copy_file(good, half);
  fs::resize_file(half, fs::file_size(good) / 2);
  CHECK_THROWS_AS(soma::load_checkpoint(half), IoError);
  CHECK_THROWS_WITH(soma::load_checkpoint(half), Catch::StartsWith(half + ": "));

  soma::test::write_text(dir + "/garbage.h5", "this is not an HDF5 file\n");
  CHECK_THROWS_WITH(soma::load_checkpoint(dir + "/garbage.h5"), Catch::StartsWith(dir + "/garbage.h5: "));
  CHECK_THROWS_WITH(soma::load_checkpoint(dir + "/missing.h5"), Catch::Contains("missing.h5: file not found"));

  {
    soma::H5File f = soma::H5File::create(dir + "/nometa.h5");
    f.write_tensor("model/params/fc/weight", Tensor(Shape{2}));
  }
  CHECK_THROWS_WITH(soma::load_checkpoint(dir + "/nometa.h5"), Catch::Contains("no /meta group"));

  Checkpoint newer = sample();
  newer.format_version = 2;
  soma::save_checkpoint(dir + "/newer.h5", newer);
  CHECK_THROWS_AS(soma::load_checkpoint(dir + "/newer.h5"), IoError);
  CHECK_THROWS_WITH(soma::load_checkpoint(dir + "/newer.h5"),
                    Catch::Contains("newer.h5 has format_version 2") &&
                        Catch::Contains("reads format_version <= 1"));

  {
    soma::H5File f = soma::H5File::create(dir + "/oddtype.h5");
    f.create_group("meta");
    f.set_attr_int("meta", "format_version", 1);
    f.write_array("model/params/fc/weight", std::vector<int32_t>{1, 2});
  }
  CHECK_THROWS_WITH(soma::load_checkpoint(dir + "/oddtype.h5"),
                    Catch::Contains("/model/params/fc/weight has dtype int32"));
}

TEST_CASE("save_checkpoint is atomic: a failed write leaves the previous file and no .tmp", "[io][checkpoint][errors]") {
  const std::string dir = soma::test::scratch_dir("ckpt_atomic");
  const std::string path = dir + "/last.h5";
  soma::save_checkpoint(path, sample());
  const std::string before = soma::sha256_file_hex(path);

  // Fails mid-write inside HDF5: "a/b" is a dataset, so "a/b/c" cannot be created below it.
  Checkpoint bad = sample();
  bad.tensors["a/b"] = Tensor(Shape{1});
  bad.tensors["a/b/c"] = Tensor(Shape{1});
  CHECK_THROWS_WITH(soma::save_checkpoint(path, bad), Catch::Contains("last.h5.tmp: /a/b: is a dataset, not a group"));
  CHECK(soma::sha256_file_hex(path) == before);
  CHECK_FALSE(fs::exists(path + ".tmp"));

  // Rejected before any file is touched.
  Checkpoint bad_key = sample();
  bad_key.tensors["/abs"] = Tensor(Shape{1});
  CHECK_THROWS_WITH(soma::save_checkpoint(path, bad_key), Catch::Contains("'/abs' must be a relative path"));
  Checkpoint reserved = sample();
  reserved.scalars["meta/x"] = 1;
  CHECK_THROWS_WITH(soma::save_checkpoint(path, reserved), Catch::Contains("reserved"));
  Checkpoint twice = sample();
  twice.scalars["trainer/cursor"] = 1;
  CHECK_THROWS_WITH(soma::save_checkpoint(path, twice), Catch::Contains("'trainer/cursor' is used twice"));
  Checkpoint undefined = sample();
  undefined.tensors["model/params/x"] = Tensor();
  CHECK_THROWS_WITH(soma::save_checkpoint(path, undefined), Catch::Contains("undefined tensor"));
  CHECK(soma::sha256_file_hex(path) == before);
  CHECK_FALSE(fs::exists(path + ".tmp"));

  // A missing directory: IoError naming the file, nothing created.
  CHECK_THROWS_WITH(soma::save_checkpoint(dir + "/no/such/ckpt.h5", sample()),
                    Catch::Contains(dir + "/no/such/ckpt.h5.tmp: cannot create HDF5 file"));
  CHECK_FALSE(fs::exists(dir + "/no"));

  // A directory we may not write to (root ignores permissions, so only checked as a user).
  if (::geteuid() != 0) {
    const std::string ro = dir + "/readonly";
    fs::create_directories(ro);
    soma::save_checkpoint(ro + "/c.h5", sample());
    fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec);
    CHECK_THROWS_AS(soma::save_checkpoint(ro + "/c.h5", bad), IoError);
    CHECK_THROWS_WITH(soma::save_checkpoint(ro + "/c.h5", sample()), Catch::Contains("c.h5.tmp: cannot create"));
    fs::permissions(ro, fs::perms::owner_all);
    CHECK(soma::load_checkpoint(ro + "/c.h5").tensors.size() == 4);
    CHECK_FALSE(fs::exists(ro + "/c.h5.tmp"));
  }

  // A stale .tmp from a killed writer does not matter.
  soma::test::write_text(path + ".tmp", "half-written junk");
  soma::save_checkpoint(path, sample());
  CHECK_FALSE(fs::exists(path + ".tmp"));
  CHECK(soma::load_checkpoint(path).tensors.size() == 4);
}
