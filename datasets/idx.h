// IDX files, the format of MNIST and Fashion-MNIST, gzipped or raw.
#pragma once

#include <string>

#include "datasets/dataset.h"

namespace hebb::data {

// An IDX file is a 4-byte magic (0x00 0x00, the type 0x08 = unsigned byte, the number of dimensions),
// one big-endian uint32 per dimension, then the data in row-major order: images are (N x rows x
// cols), labels (N). Either file may be gzipped (detected by its magic 0x1f 0x8b).
//
// Returns features (N x rows*cols) holding pixel / 255 in [0, 1], the N labels and `classes`.
// Throws hebb::Error naming the file, the problem and, where one exists, the byte offset (in the
// decompressed bytes for a gzipped file) for: a wrong magic or type, a wrong number of dimensions
// (images 3, labels 1), a zero dimension, a truncated file, trailing data, image and label counts that
// differ, and labels >= classes. Dimensions are checked against the bytes actually there before
// anything is allocated from them.
TensorDataset read_idx(const std::string& images_path, const std::string& labels_path, int classes = 10);

}  // namespace hebb::data
