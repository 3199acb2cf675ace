// Ways to cut a dataset: ranges, a validation tail, few-shot subsets, and feature standardisation.
#pragma once

#include <cstdint>

#include "datasets/dataset.h"

namespace hebb::data {

// Samples [begin, end) in order.
TensorDataset slice(const TensorDataset& d, Eigen::Index begin, Eigen::Index end);

// k samples of every class, drawn with `seed` from samples [begin, end), in index order.
// Throws when a class has fewer than k samples there.
TensorDataset few_shot(const TensorDataset& d, int k, std::uint64_t seed, Eigen::Index begin,
                       Eigen::Index end);

// Per-feature standardisation x' = (x - mean) / std, fitted on one split (the training split) and
// applied to any; a constant feature keeps std 1.
struct Standardizer {
    Eigen::RowVectorXf mean, std;
    static Standardizer fit(const TensorDataset& train);
    void apply(TensorDataset& d) const;
};

}  // namespace hebb::data
