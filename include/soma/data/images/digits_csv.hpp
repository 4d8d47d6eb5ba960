// Reader for scikit-learn's copy of the UCI optical-recognition digits (`digits.csv.gz`).
//
// gzip (or plain) CSV, no header, 1797 rows x 65 integer columns: 64 pixels 0..16 of an 8x8
// image (row-major), then the label 0..9. Returns an ImageSet [N, 1, 8, 8] with max_value 16.
// Every row is checked (column count, integer syntax, ranges); errors name file and line.
// Source: UCI ML repository "Optical Recognition of Handwritten Digits"; sklearn load_digits.
#pragma once

#include <string>

#include "soma/data/images/image_set.hpp"

namespace soma {

ImageSet read_digits_csv(const std::string& path);

}  // namespace soma
