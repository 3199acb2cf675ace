// Datasets held in memory: one row of features per sample and an integer class label.
#pragma once

#include <string>
#include <vector>

#include "core/random.h"
#include "core/tensor.h"

namespace hebb::data {

struct TensorDataset {
    Matrix features;          // (N x D)
    std::vector<int> labels;  // N labels in [0, classes)
    int classes = 0;
    std::vector<std::string> class_names{};  // empty when the classes have no names

    Eigen::Index size() const { return features.rows(); }
};

// Two interleaved spirals in the plane, n points each (label 0 and 1), with Gaussian noise of the
// given standard deviation; coordinates lie roughly in [-1, 1].
TensorDataset two_spirals(Eigen::Index n_per_class, float noise, Generator& gen = default_generator());

}  // namespace hebb::data
