// Loss functions as objects, with PyTorch's names and mean reduction.
#pragma once

#include <span>

#include "core/tensor.h"

namespace hebb::nn {

// logits (B x C), labels B class indices -> 1x1 mean cross-entropy (optionally label-smoothed).
struct CrossEntropyLoss {
    float label_smoothing = 0.0f;
    Tensor operator()(const Tensor& logits, std::span<const int> labels) const;
};

// log_probs (B x C), labels B class indices -> 1x1 mean negative log-likelihood.
struct NLLLoss {
    Tensor operator()(const Tensor& log_probs, std::span<const int> labels) const;
};

// prediction and target of one shape -> 1x1 mean squared error.
struct MSELoss {
    Tensor operator()(const Tensor& prediction, const Tensor& target) const;
};

// input logits and target probabilities in [0, 1] of one shape (B x C, or B x 1) -> 1x1 mean over
// every entry of -[p y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))], p the weight of positive
// targets: pos_weight's entry for the column, 1 when pos_weight is empty.
struct BCEWithLogitsLoss {
    Matrix pos_weight;  // (1 x C), or empty
    Tensor operator()(const Tensor& input, const Tensor& target) const;
};

}  // namespace hebb::nn
