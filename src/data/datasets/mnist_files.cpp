#include "soma/data/datasets/mnist_files.hpp"

#include <filesystem>

#include "soma/core/error.hpp"
#include "soma/data/images/idx_reader.hpp"

namespace soma {
namespace {

std::string find_idx(const std::string& root, const std::string& stem) {
  namespace fs = std::filesystem;
  for (const std::string& name : {stem + ".gz", stem}) {
    const fs::path p = fs::path(root) / name;
    if (fs::is_regular_file(p)) return p.string();
  }
  throw IoError(str_cat(root, ": found neither ", stem, ".gz nor ", stem,
                        " (expected the MNIST IDX files in this folder)"));
}

}  // namespace

ImageSet read_mnist_split(const std::string& root, bool train) {
  const std::string prefix = train ? "train" : "t10k";
  const std::string images = find_idx(root, prefix + "-images-idx3-ubyte");
  const std::string labels = find_idx(root, prefix + "-labels-idx1-ubyte");
  return read_idx_pair(images, labels);
}

}  // namespace soma
