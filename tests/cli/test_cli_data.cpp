// End to end: soma data inspect / convert / frames / verify on real files.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>

#include "soma/data/readers/event_reader.hpp"
#include "support/run_soma.hpp"

using namespace soma;
using namespace soma::testing;
namespace fs = std::filesystem;

namespace {

double json_number(const std::string& text, const std::string& key) {
  std::smatch m;
  const std::regex re("\"" + key + "\"\\s*:\\s*([-0-9.eE+]+)");
  REQUIRE(std::regex_search(text, m, re));
  return std::stod(m[1]);
}

}  // namespace

TEST_CASE("cli data inspect: statistics, JSON and PNG preview", "[cli][data]") {
  const std::string dir = scratch_dir("cli_data_inspect");
  auto r = run_soma("data inspect datasets/nmnist_small/1.bs2 --json --png " + dir + "/p.png --frames 3");
  REQUIRE(r.exit_code == 0);
  CHECK(json_number(r.output, "events") == 4681);
  CHECK(json_number(r.output, "width") == 34);
  CHECK(json_number(r.output, "x_max") == 33);
  CHECK(json_number(r.output, "on") == 2328);
  CHECK(json_number(r.output, "t_first_us") == 893);
  CHECK(r.output.find("\"format\":\"atis_bin\"") != std::string::npos);
  std::ifstream png(dir + "/p.png", std::ios::binary);
  char sig[8] = {};
  png.read(sig, 8);
  CHECK(std::string(sig, 8) == std::string("\x89PNG\r\n\x1a\n", 8));

  r = run_soma("data inspect datasets/tonic_samples/sample.aedat4");
  REQUIRE(r.exit_code == 0);
  CHECK(r.output.find("111954") != std::string::npos);
  CHECK(r.output.find("320 x 240") != std::string::npos);
  r = run_soma("data inspect datasets/nmnist_small/does_not_exist.bs2");
  CHECK(r.exit_code != 0);
}

TEST_CASE("cli data convert: to HDF5, AEDAT 3.1 and text and back", "[cli][data]") {
  const std::string dir = scratch_dir("cli_data_convert");
  const Events src = read_events(std::string(SOMA_SOURCE_DIR) + "/datasets/prophesee_samples/ncars_obj_004397_td.dat");
  for (const char* out : {"e.h5", "e.aedat", "e.txt"}) {
    auto r = run_soma("data convert datasets/prophesee_samples/ncars_obj_004397_td.dat " + dir + "/" + out);
    REQUIRE(r.exit_code == 0);
    const Events back = read_events(dir + "/" + out);
    CHECK(back.t == src.t);
    CHECK(back.x == src.x);
    CHECK(back.y == src.y);
    CHECK(back.p == src.p);
    CHECK(back.width == src.width);
  }
  auto r = run_shell("/usr/bin/python3 -c \"import h5py; f=h5py.File('" + dir +
                     "/e.h5'); print(len(f['t']), int(f.attrs['width']), int(f['x'][:].max()))\"");
  if (r.exit_code == 0) CHECK(r.output.find("4407 54 53") != std::string::npos);
  r = run_soma("data convert datasets/nmnist_small/1.bs2 " + dir + "/x.unknown");
  CHECK(r.exit_code == 2);
}

TEST_CASE("cli data verify and frames", "[cli][data]") {
  auto r = run_soma("data verify datasets/nmnist_small");
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("1102 of 1102 files match") != std::string::npos);
  CHECK(r.output.find("OK") != std::string::npos);

  const std::string dir = scratch_dir("cli_data_verify");
  fs::create_directories(dir + "/broken");
  std::ofstream(dir + "/broken/train1K.txt") << "#sample #class\r\n1\t5\r\n2\t0\r\n";
  std::ofstream(dir + "/broken/test100.txt") << "#sample #class\r\n";
  fs::copy_file(std::string(SOMA_SOURCE_DIR) + "/datasets/nmnist_small/1.bs2", dir + "/broken/1.bs2");
  r = run_soma("data verify " + dir + "/broken --dataset nmnist");
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("missing " + dir + "/broken/2.bs2") != std::string::npos);
  CHECK(r.output.find("test: no samples found") != std::string::npos);

  r = run_soma("data frames tests/configs/good/shd_frames.yaml --cache " + dir + "/cache --split test");
  REQUIRE(r.exit_code == 0);
  CHECK(r.output.find("frames written to cache") != std::string::npos);
  r = run_soma("data frames tests/configs/good/shd_frames.yaml --cache " + dir + "/cache --split test");
  CHECK(r.output.find("frames from cache") != std::string::npos);
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir + "/cache")) n += e.path().extension() == ".h5";
  CHECK(n == 1);
}
