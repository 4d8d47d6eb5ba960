#include <catch2/catch.hpp>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "soma/core/error.hpp"
#include "soma/data/datasets/mnist_files.hpp"
#include "soma/data/images/digits_csv.hpp"
#include "soma/data/images/idx_reader.hpp"

namespace fs = std::filesystem;
using namespace soma;

namespace {

const std::string kMnist = std::string(SOMA_SOURCE_DIR) + "/datasets/mnist";

std::vector<unsigned char> gunzip(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  REQUIRE(f != nullptr);
  std::vector<unsigned char> out;
  unsigned char buf[1 << 16];
  int n = 0;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.insert(out.end(), buf, buf + n);
  gzclose(f);
  return out;
}

fs::path temp_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("soma_test_" + name);
  fs::create_directories(d);
  return d;
}

void write_file(const fs::path& p, const std::vector<unsigned char>& bytes) {
  std::ofstream o(p, std::ios::binary);
  o.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

TEST_CASE("IDX reader: bundled MNIST has the known sizes and class counts", "[data][idx]") {
  const ImageSet train = read_mnist_split(kMnist, true);
  const ImageSet test = read_mnist_split(kMnist, false);
  CHECK(train.count == 60000);
  CHECK(test.count == 10000);
  CHECK(train.height == 28);
  CHECK(train.width == 28);
  CHECK(train.pixels.size() == size_t{60000} * 784);
  CHECK(train.class_counts(10) ==
        std::vector<int64_t>{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949});
  CHECK(test.class_counts(10) ==
        std::vector<int64_t>{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009});
  // The first training digit is a 5; the test set starts 7, 2, 1.
  CHECK(train.labels[0] == 5);
  CHECK(test.labels[0] == 7);
  CHECK(test.labels[1] == 2);
  CHECK(test.labels[2] == 1);
  // Pixels span the full byte range and the corners are background.
  CHECK(*std::max_element(train.pixels.begin(), train.pixels.end()) == 255);
  CHECK(train.image(0)[0] == 0);
  std::vector<float> f(784);
  train.to_float(0, f.data());
  CHECK(*std::max_element(f.begin(), f.end()) == Approx(1.0f));
}

TEST_CASE("IDX reader: plain (uncompressed) files parse identically", "[data][idx]") {
  const fs::path d = temp_dir("idx_plain");
  write_file(d / "t10k-labels-idx1-ubyte", gunzip(kMnist + "/t10k-labels-idx1-ubyte.gz"));
  const auto labels = read_idx_labels((d / "t10k-labels-idx1-ubyte").string());
  CHECK(labels == read_idx_labels(kMnist + "/t10k-labels-idx1-ubyte.gz"));
  fs::remove_all(d);
}

TEST_CASE("IDX reader: truncated, padded or mislabelled files are IoErrors with file and offset",
          "[data][idx]") {
  const fs::path d = temp_dir("idx_bad");
  auto bytes = gunzip(kMnist + "/t10k-images-idx3-ubyte.gz");
  REQUIRE(bytes.size() == 16 + size_t{10000} * 784);

  SECTION("truncated pixel data") {
    auto cut = bytes;
    cut.resize(16 + 784 * 3 + 100);
    const fs::path p = d / "cut-images-idx3-ubyte";
    write_file(p, cut);
    CHECK_THROWS_AS(read_idx_images(p.string()), IoError);
    CHECK_THROWS_WITH(read_idx_images(p.string()),
                      Catch::Contains(p.string()) && Catch::Contains("truncated at byte offset 2468") &&
                          Catch::Contains("7840016"));
  }
  SECTION("truncated gzip header") {
    std::vector<unsigned char> cut(bytes.begin(), bytes.begin() + 10);
    const fs::path p = d / "short.gz";
    gzFile g = gzopen(p.string().c_str(), "wb");
    gzwrite(g, cut.data(), static_cast<unsigned>(cut.size()));
    gzclose(g);
    CHECK_THROWS_WITH(read_idx_images(p.string()),
                      Catch::Contains("short.gz") && Catch::Contains("truncated at byte offset 10"));
  }
  SECTION("trailing bytes") {
    auto longer = bytes;
    longer.push_back(7);
    const fs::path p = d / "long-images";
    write_file(p, longer);
    CHECK_THROWS_WITH(read_idx_images(p.string()),
                      Catch::Contains("long-images") && Catch::Contains("after byte offset 7840016"));
  }
  SECTION("labels file given as images") {
    const std::string labels = kMnist + "/t10k-labels-idx1-ubyte.gz";
    CHECK_THROWS_WITH(read_idx_images(labels),
                      Catch::Contains("magic 0x00000803") && Catch::Contains("0x801"));
  }
  SECTION("image and label counts differ") {
    CHECK_THROWS_WITH(read_idx_pair(kMnist + "/t10k-images-idx3-ubyte.gz",
                                    kMnist + "/train-labels-idx1-ubyte.gz"),
                      Catch::Contains("10000 images") && Catch::Contains("60000 labels"));
  }
  SECTION("missing file") {
    CHECK_THROWS_AS(read_idx_labels((d / "nope").string()), IoError);
    CHECK_THROWS_WITH(read_mnist_split(d.string(), true), Catch::Contains("train-images-idx3-ubyte"));
  }
  fs::remove_all(d);
}

TEST_CASE("digits CSV: 1797 images of 8x8 in 0..16 with the known class counts", "[data][digits]") {
  const ImageSet s = read_digits_csv(std::string(SOMA_SOURCE_DIR) + "/datasets/sklearn_digits/digits.csv.gz");
  CHECK(s.count == 1797);
  CHECK(s.height == 8);
  CHECK(s.width == 8);
  CHECK(s.max_value == 16);
  CHECK(s.pixels.size() == size_t{1797} * 64);
  CHECK(*std::max_element(s.pixels.begin(), s.pixels.end()) == 16);
  // sklearn's load_digits class counts.
  CHECK(s.class_counts(10) == std::vector<int64_t>{178, 182, 177, 183, 181, 182, 181, 179, 174, 180});
  CHECK(s.labels[0] == 0);
  CHECK(s.labels[1] == 1);
  CHECK(s.image(0)[2] == 5);  // first row starts 0,0,5,13,9,1
  CHECK(s.image(0)[3] == 13);
}

TEST_CASE("digits CSV: bad rows name the file and line", "[data][digits]") {
  const fs::path d = temp_dir("digits_bad");
  std::string row;
  for (int i = 0; i < 64; ++i) row += "1,";
  {
    std::ofstream o(d / "d.csv");
    o << row << "3\n" << row << "17\n";
  }
  CHECK_THROWS_WITH(read_digits_csv((d / "d.csv").string()),
                    Catch::Contains("d.csv:2") && Catch::Contains("label 0..9"));
  {
    std::ofstream o(d / "e.csv");
    o << row << "3\n1,2,3\n";
  }
  CHECK_THROWS_WITH(read_digits_csv((d / "e.csv").string()),
                    Catch::Contains("e.csv:2") && Catch::Contains("65 columns"));
  fs::remove_all(d);
}
