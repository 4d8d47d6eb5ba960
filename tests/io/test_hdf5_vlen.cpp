// Ragged (variable-length) HDF5 arrays: round trips, the SHD sample made by h5py (float16
// times), errors, and h5py reading what soma wrote.
#include <catch2/catch.hpp>

#include "io_test_util.hpp"
#include "soma/core/error.hpp"
#include "soma/io/hdf5.hpp"

using namespace soma;

TEST_CASE("vlen: write_vlen / read_vlen / read_vlen_row round trip", "[hdf5][vlen]") {
  const std::string dir = test::scratch_dir("vlen_roundtrip");
  const std::string path = dir + "/v.h5";
  const std::vector<std::vector<float>> rows = {{0.5f, 1.25f}, {}, {3.0f, -2.0f, 7.5f}};
  {
    H5File f = H5File::create(path);
    f.write_vlen("spikes/times", rows);
    f.write_array("plain", std::vector<int32_t>{1, 2, 3});
    f.close();
  }
  H5File f = H5File::open_read(path);
  CHECK(f.is_vlen("spikes/times"));
  CHECK_FALSE(f.is_vlen("plain"));
  CHECK_FALSE(f.is_vlen("missing"));
  CHECK(f.vlen_rows("spikes/times") == 3);
  CHECK(f.dtype("spikes/times") == H5DType::kOther);
  CHECK(f.read_vlen<float>("spikes/times") == rows);
  CHECK(f.read_vlen_row<double>("spikes/times", 2) == std::vector<double>{3.0, -2.0, 7.5});
  CHECK(f.read_vlen_row<float>("spikes/times", 1).empty());
  CHECK_THROWS_AS(f.read_vlen_row<float>("spikes/times", 3), IoError);
  CHECK_THROWS_WITH(f.vlen_rows("plain"), Catch::Contains("not a variable-length"));
}

TEST_CASE("vlen: the SHD sample (h5py, float16 times, uint16 units)", "[hdf5][vlen]") {
  H5File f = H5File::open_read(std::string(SOMA_SOURCE_DIR) + "/tests/data/shd/shd_train.h5");
  REQUIRE(f.vlen_rows("spikes/times") == 4);
  const auto times = f.read_vlen<float>("spikes/times");
  const auto units = f.read_vlen<uint16_t>("spikes/units");
  std::vector<size_t> lengths;
  for (const auto& r : times) lengths.push_back(r.size());
  CHECK(lengths == std::vector<size_t>{4, 823, 0, 71});  // numpy: [len(x) for x in times]
  CHECK(units[1].size() == 823);
  int64_t sum = 0;
  for (auto u : units[1]) sum += u;
  CHECK(sum == 18561);  // numpy: units[1].sum()
  // float16 values are exact in float: first/last of sample 1 as h5py prints them.
  CHECK(times[1].front() == 0.109130859375f);
  CHECK(times[1].back() == 0.22412109375f);
  CHECK(f.read_vlen_row<uint16_t>("spikes/units", 0) == std::vector<uint16_t>{63, 63, 63, 63});
}

TEST_CASE("vlen: h5py reads what write_vlen wrote", "[hdf5][vlen][python]") {
  if (!test::have_python_module("h5py")) {
    WARN("h5py not available");
    return;
  }
  const std::string dir = test::scratch_dir("vlen_h5py");
  {
    H5File f = H5File::create(dir + "/v.h5");
    f.write_vlen("r", std::vector<std::vector<uint16_t>>{{1, 2}, {}, {700}});
    f.close();
  }
  int rc = 0;
  const std::string out = test::run_python(
      dir, "import h5py,sys\nf=h5py.File(sys.argv[1])\nprint([list(map(int,x)) for x in f['r']])\n",
      dir + "/v.h5", rc);
  CHECK(rc == 0);
  CHECK(out.find("[[1, 2], [], [700]]") != std::string::npos);
}
