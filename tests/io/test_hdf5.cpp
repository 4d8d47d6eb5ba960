#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "io_test_util.hpp"
#include "soma/core/error.hpp"
#include "soma/io/hdf5.hpp"

using soma::H5DType;
using soma::H5File;
using soma::IoError;
using soma::Shape;
using soma::Tensor;

namespace {

Tensor iota(const Shape& s, float scale) {
  Tensor t(s);
  for (int64_t i = 0; i < t.numel(); ++i) t[i] = scale * static_cast<float>(i) - 1.5f;
  return t;
}

template <typename T>
void round_trip_array(H5File& f, const std::string& name, H5DType dtype) {
  using L = std::numeric_limits<T>;
  const std::vector<T> v = {L::lowest(), T(0), T(1), L::max(), T(7)};
  f.write_array(name, v);
  CHECK(f.read_array<T>(name) == v);
  CHECK(f.dtype(name) == dtype);
  CHECK(f.dims(name) == std::vector<int64_t>{5});
}

}  // namespace

TEST_CASE("H5File round-trips float32 tensors of every rank", "[io][hdf5]") {
  const std::string path = soma::test::scratch_dir("h5_tensor") + "/t.h5";
  {
    H5File f = H5File::create(path);
    f.write_tensor("a/vec", iota(Shape{7}, 0.25f));
    f.write_tensor("/a/b/mat", iota(Shape{3, 4}, 1.f));
    f.write_tensor("a/b/c/t5", iota(Shape{2, 1, 3, 2, 2}, -0.5f));
    Tensor s = Tensor::empty(Shape{});
    s[0] = 3.25f;
    f.write_tensor("scalar", s);
    f.write_tensor("empty", Tensor(Shape{0, 3}));
    f.close();
    CHECK_FALSE(f.is_open());
  }
  H5File f = H5File::open_read(path);
  for (const auto& [name, shape, scale] :
       {std::tuple{"a/vec", Shape{7}, 0.25f}, std::tuple{"a/b/mat", Shape{3, 4}, 1.f},
        std::tuple{"a/b/c/t5", Shape{2, 1, 3, 2, 2}, -0.5f}}) {
    Tensor t = f.read_tensor(name);
    REQUIRE(t.shape() == shape);
    CHECK(f.shape(name) == shape);
    CHECK(f.dtype(name) == H5DType::kFloat32);
    const Tensor want = iota(shape, scale);
    for (int64_t i = 0; i < t.numel(); ++i) REQUIRE(t[i] == want[i]);
  }
  Tensor s = f.read_tensor("scalar");
  CHECK(s.rank() == 0);
  CHECK(s[0] == 3.25f);
  CHECK(f.dims("scalar").empty());
  CHECK(f.read_tensor("/empty").shape() == Shape{0, 3});
}

TEST_CASE("H5File round-trips typed arrays, N-D arrays, ranges and scalars", "[io][hdf5]") {
  const std::string path = soma::test::scratch_dir("h5_arrays") + "/a.h5";
  H5File f = H5File::create(path);
  round_trip_array<int64_t>(f, "i64", H5DType::kInt64);
  round_trip_array<uint64_t>(f, "u64", H5DType::kUInt64);
  round_trip_array<int32_t>(f, "i32", H5DType::kInt32);
  round_trip_array<uint8_t>(f, "u8", H5DType::kUInt8);
  round_trip_array<uint16_t>(f, "u16", H5DType::kUInt16);
  round_trip_array<int8_t>(f, "i8", H5DType::kInt8);
  round_trip_array<double>(f, "f64", H5DType::kFloat64);
  round_trip_array<uint32_t>(f, "u32", H5DType::kUInt32);
  round_trip_array<int16_t>(f, "i16", H5DType::kInt16);
  f.write_array("empty", std::vector<int64_t>{});
  CHECK(f.read_array<int64_t>("empty").empty());

  const std::vector<uint8_t> img = {1, 2, 3, 4, 5, 6};
  f.write_array("img", img.data(), {2, 1, 3});
  CHECK(f.dims("img") == std::vector<int64_t>{2, 1, 3});
  CHECK(f.read_array<uint8_t>("img") == img);
  // HDF5 converts numeric types on read.
  CHECK(f.read_array<int64_t>("img") == std::vector<int64_t>{1, 2, 3, 4, 5, 6});
  CHECK(f.read_tensor("img").shape() == Shape{2, 1, 3});

  std::vector<int64_t> t(1000);
  for (int i = 0; i < 1000; ++i) t[i] = int64_t(i) * 1000003;
  f.write_array("events/t", t);
  CHECK(f.read_array<int64_t>("events/t", 10, 3) == std::vector<int64_t>{t[10], t[11], t[12]});
  CHECK(f.read_array<int64_t>("events/t", 1000, 0).empty());
  CHECK_THROWS_WITH(f.read_array<int64_t>("events/t", 998, 3),
                    Catch::Contains("/events/t") && Catch::Contains("outside the dataset of length 1000"));
  CHECK_THROWS_WITH(f.read_array<uint8_t>("img", 0, 1), Catch::Contains("1-D"));

  f.write_scalar("trainer/epoch", 12.5);
  CHECK(f.read_scalar("trainer/epoch") == 12.5);
  CHECK(f.dims("trainer/epoch").empty());
  f.write_array("one", std::vector<int32_t>{4});
  CHECK(f.read_scalar("one") == 4.0);
  CHECK_THROWS_WITH(f.read_scalar("i64"), Catch::Contains("expected a scalar"));
}

TEST_CASE("H5File structure: exists, list, recursive listing, automatic groups", "[io][hdf5]") {
  const std::string path = soma::test::scratch_dir("h5_struct") + "/s.h5";
  H5File f = H5File::create(path);
  f.write_array("model/params/fc/weight", std::vector<double>{1});
  f.write_array("model/params/fc/bias", std::vector<double>{2});
  f.write_array("model/params/conv1/weight", std::vector<double>{3});
  f.write_array("top", std::vector<double>{4});
  f.create_group("empty/group");
  CHECK(f.exists("model"));
  CHECK(f.exists("/model/params/fc"));
  CHECK(f.exists("/"));
  CHECK_FALSE(f.exists("model/params/lif"));
  CHECK_FALSE(f.exists("nothing/below/here"));
  CHECK_FALSE(f.exists("top/below"));  // below a dataset
  CHECK(f.is_group("model/params"));
  CHECK_FALSE(f.is_group("top"));
  CHECK(f.is_dataset("top"));
  CHECK_FALSE(f.is_dataset("model"));
  CHECK(f.list("/") == std::vector<std::string>{"empty", "model", "top"});
  CHECK(f.list("model/params/fc") == std::vector<std::string>{"bias", "weight"});
  CHECK(f.list("empty/group").empty());
  CHECK(f.list_datasets("model") ==
        std::vector<std::string>{"model/params/conv1/weight", "model/params/fc/bias",
                                 "model/params/fc/weight"});
  CHECK(f.list_datasets().size() == 4);
  CHECK_THROWS_WITH(f.list("missing"), Catch::Contains("/missing: group not found"));
  CHECK_THROWS_WITH(f.list("top"), Catch::Contains("/top: is a dataset, not a group"));
  // Datasets are written once; a dataset cannot hold children.
  CHECK_THROWS_WITH(f.write_array("top", std::vector<double>{5}),
                    Catch::Contains(path + ": /top: already exists"));
  CHECK_THROWS_WITH(f.write_array("top/child", std::vector<double>{5}),
                    Catch::Contains("/top: is a dataset, not a group"));
  CHECK_THROWS_WITH(f.write_array("a//b", std::vector<double>{5}), Catch::Contains("invalid object path"));
  CHECK_THROWS_AS(f.write_array("", std::vector<double>{5}), IoError);
}

TEST_CASE("H5File attributes on groups and datasets", "[io][hdf5]") {
  const std::string path = soma::test::scratch_dir("h5_attr") + "/a.h5";
  {
    H5File f = H5File::create(path);
    f.create_group("meta");
    f.write_array("d", std::vector<double>{1});
    f.set_attr_string("meta", "config_yaml", "model:\n  tau: 2.0  # \xc3\xa9t\xc3\xa9\n");
    f.set_attr_string("meta", "empty", "");
    f.set_attr_int("meta", "format_version", 1);
    f.set_attr_int("/", "big", std::numeric_limits<int64_t>::min());
    f.set_attr_double("d", "scale", 0.125);
    f.set_attr_u64s("d", "rng", {1, std::numeric_limits<uint64_t>::max(), 3, 4});
    f.set_attr_u64s("d", "none", {});
    f.set_attr_int("d", "replaced", 1);
    f.set_attr_string("d", "replaced", "now a string");
  }
  H5File f = H5File::open_read(path);
  CHECK(f.attr_string("meta", "config_yaml") == "model:\n  tau: 2.0  # \xc3\xa9t\xc3\xa9\n");
  CHECK(f.attr_string("meta", "empty").empty());
  CHECK(f.attr_int("/meta", "format_version") == 1);
  CHECK(f.attr_int("/", "big") == std::numeric_limits<int64_t>::min());
  CHECK(f.attr_double("d", "scale") == 0.125);
  CHECK(f.attr_double("meta", "format_version") == 1.0);
  CHECK(f.attr_u64s("d", "rng") == std::vector<uint64_t>{1, std::numeric_limits<uint64_t>::max(), 3, 4});
  CHECK(f.attr_u64s("d", "none").empty());
  CHECK(f.attr_string("d", "replaced") == "now a string");
  CHECK(f.attr_dtype("d", "replaced") == H5DType::kString);
  CHECK(f.has_attr("meta", "format_version"));
  CHECK_FALSE(f.has_attr("meta", "nope"));
  CHECK_FALSE(f.has_attr("missing/group", "x"));
  CHECK(f.attr_names("meta") == std::vector<std::string>{"config_yaml", "empty", "format_version"});
  CHECK_THROWS_WITH(f.attr_string("meta", "format_version"),
                    Catch::Contains("/meta: attribute 'format_version' has dtype int64, expected a string"));
  CHECK_THROWS_WITH(f.attr_int("meta", "config_yaml"), Catch::Contains("expected a number"));
  CHECK_THROWS_WITH(f.attr_int("d", "scale"), Catch::Contains("not an integer"));
  CHECK_THROWS_WITH(f.attr_int("d", "rng"), Catch::Contains("has 4 values, expected 1"));
  CHECK_THROWS_WITH(f.attr_int("meta", "nope"), Catch::Contains(path + ": /meta: attribute 'nope' not found"));
  CHECK_THROWS_WITH(f.set_attr_int("meta", "x", 1), Catch::Contains(path + ": /meta"));  // read-only
}

TEST_CASE("H5File appendable float64 series", "[io][hdf5]") {
  const std::string path = soma::test::scratch_dir("h5_series") + "/m.h5";
  {
    H5File f = H5File::create(path);
    f.create_series("step/loss");
    CHECK(f.dims("step/loss") == std::vector<int64_t>{0});
    f.append("step/loss", 1.0);
    f.append("step/loss", std::vector<double>{2.0, 3.0});
    f.append("step/acc", 0.5);  // created on first append
    f.append("step/acc", std::vector<double>{});
    std::vector<double> many(3000);
    for (int i = 0; i < 3000; ++i) many[i] = i;
    f.append("long", many);  // spans several chunks
    f.write_array("fixed", std::vector<double>{1});
    CHECK_THROWS_WITH(f.append("fixed", 2.0), Catch::Contains("/fixed: not an appendable series"));
    CHECK_THROWS_WITH(f.create_series("step/loss"), Catch::Contains("already exists"));
  }
  {
    H5File f = H5File::open_rw(path);
    f.append("step/loss", 4.0);
    f.flush();
  }
  H5File f = H5File::open_read(path);
  CHECK(f.read_array<double>("step/loss") == std::vector<double>{1, 2, 3, 4});
  CHECK(f.read_array<double>("step/acc") == std::vector<double>{0.5});
  const std::vector<double> l = f.read_array<double>("long");
  REQUIRE(l.size() == 3000);
  CHECK(l[0] == 0);
  CHECK(l[2999] == 2999);
  CHECK(f.read_array<double>("long", 1023, 2) == std::vector<double>{1023, 1024});
}

TEST_CASE("H5File errors name the file and the object", "[io][hdf5][errors]") {
  const std::string dir = soma::test::scratch_dir("h5_errors");
  const std::string path = dir + "/last.h5";
  {
    H5File f = H5File::create(path);
    f.write_tensor("model/params/fc/bias", Tensor(Shape{10}));
    f.set_attr_string("/", "s", "x");
  }
  H5File f = H5File::open_read(path);
  CHECK_THROWS_AS(f.read_tensor("model/params/fc/weight"), IoError);
  CHECK_THROWS_WITH(f.read_tensor("model/params/fc/weight"),
                    path + ": /model/params/fc/weight: dataset not found");
  CHECK_THROWS_WITH(f.read_tensor("model/params"),
                    path + ": /model/params: is a group, not a dataset");
  CHECK_THROWS_WITH(f.dims("nope/x"), path + ": /nope/x: dataset not found");
  CHECK_THROWS_WITH(f.write_tensor("x", Tensor(Shape{1})), Catch::StartsWith(path + ": /x: cannot create dataset"));
  f.close();
  CHECK_THROWS_WITH(f.exists("x"), Catch::Contains("file is closed"));

  CHECK_THROWS_WITH(H5File::open_read(dir + "/missing.h5"), dir + "/missing.h5: file not found");
  CHECK_THROWS_WITH(H5File::open_read(dir), Catch::Contains("is a directory"));
  CHECK_THROWS_WITH(H5File::create(dir + "/no/such/dir/x.h5"),
                    Catch::StartsWith(dir + "/no/such/dir/x.h5: cannot create HDF5 file"));

  soma::test::write_text(dir + "/garbage.h5", std::string(5000, 'x') + "not hdf5 at all");
  CHECK_THROWS_WITH(H5File::open_read(dir + "/garbage.h5"),
                    Catch::StartsWith(dir + "/garbage.h5: cannot open as HDF5"));
  soma::test::write_text(dir + "/empty.h5", "");
  CHECK_THROWS_WITH(H5File::open_rw(dir + "/empty.h5"), Catch::Contains("empty.h5: cannot open as HDF5 (the file is empty)"));

  std::filesystem::copy_file(path, dir + "/half.h5");
  std::filesystem::resize_file(dir + "/half.h5", std::filesystem::file_size(path) / 2);
  CHECK_THROWS_WITH(H5File::open_read(dir + "/half.h5"),
                    Catch::StartsWith(dir + "/half.h5: cannot open as HDF5") && Catch::Contains("truncated"));
}

TEST_CASE("H5File files are read by h5py with the expected types", "[io][hdf5][python]") {
  if (!soma::test::have_python_module("h5py")) {
    WARN("python3-h5py is not installed: skipping the h5py check");
    return;
  }
  const std::string dir = soma::test::scratch_dir("h5_h5py");
  {
    H5File f = H5File::create(dir + "/x.h5");
    f.write_tensor("w", iota(Shape{2, 3}, 1.f));
    f.write_array("u16", std::vector<uint16_t>{1, 65535});
    f.write_scalar("s", 2.5);
    f.append("series", std::vector<double>{1, 2});
    f.set_attr_string("/", "name", "\xc3\xa9t\xc3\xa9");
    f.set_attr_u64s("w", "rng", {5, 6});
  }
  int rc = 0;
  const std::string out = soma::test::run_python(dir,
      "import h5py, sys\n"
      "f = h5py.File(sys.argv[1], 'r')\n"
      "w = f['w']\n"
      "print(w.dtype, w.shape, w[1, 2], f['u16'].dtype, list(f['u16'][()]), f['s'].shape, f['s'][()])\n"
      "print(f['series'].maxshape, type(f.attrs['name']).__name__, ascii(f.attrs['name']), list(w.attrs['rng']))\n",
      dir + "/x.h5", rc);
  INFO(out);
  REQUIRE(rc == 0);
  CHECK(out ==
        "float32 (2, 3) 3.5 uint16 [1, 65535] () 2.5\n"
        "(None,) str '\\xe9t\\xe9' [5, 6]\n");
}
