// Datasets held in memory: one row of features per sample and an integer class label.
#pragma once

#include <span>
#include <string>
#include <variant>
#include <vector>

#include "core/random.h"
#include "core/tensor.h"

namespace hebb::data {

// Pixel bytes, one image per row.
using Bytes = Eigen::Matrix<unsigned char, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct TensorDataset {
    // (N x D) features. Datasets read from images keep their bytes, a quarter of the memory of floats
    // and nothing to convert when loading: their features are byte / 255, computed as rows are taken.
    std::variant<Matrix, Bytes> values;
    std::vector<int> labels;  // N labels in [0, classes)
    int classes = 0;
    std::vector<std::string> class_names{};  // empty when the classes have no names
    ImageShape image{};  // one sample as images (1x28x28 for MNIST); D x 1 x 1 when they are not images

    Eigen::Index size() const;  // N
    Eigen::Index dim() const;   // D
    // How the features are made from what was read: "byte/255" (images) or "as read" (CSV, generated).
    std::string scaling() const;

    // The features of `samples` (rows of `out`, which must be samples.size() x D), as floats.
    void rows(std::span<const Eigen::Index> samples, Matrix& out) const;
    Matrix features() const;  // all N rows as floats

    // The samples at these indices, in this order, kept as bytes or floats as here.
    TensorDataset select(std::span<const Eigen::Index> samples) const;
};

// Two interleaved spirals in the plane, n points each (label 0 and 1), with Gaussian noise of the
// given standard deviation; coordinates lie roughly in [-1, 1].
TensorDataset two_spirals(Eigen::Index n_per_class, float noise, Generator& gen = default_generator());

}  // namespace hebb::data
