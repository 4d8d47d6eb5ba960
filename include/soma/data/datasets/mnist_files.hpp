// Locating the IDX files of MNIST / Fashion-MNIST in a root folder.
//
// Split `train` reads train-images-idx3-ubyte + train-labels-idx1-ubyte, `test` reads
// t10k-images-idx3-ubyte + t10k-labels-idx1-ubyte; each name is tried with ".gz" first, then
// plain. Both MNIST (datasets/mnist/) and Debian's dataset-fashion-mnist
// (/usr/share/datasets/fashion-mnist/) use these names. Missing files -> IoError listing the
// names tried.
#pragma once

#include <string>

#include "soma/data/images/image_set.hpp"

namespace soma {

ImageSet read_mnist_split(const std::string& root, bool train);

}  // namespace soma
